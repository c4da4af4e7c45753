namespace ScaleShop.RecommendationsService.Model;

public static class RecommendationSources
{
    public const string Related = "related";
    public const string Personalized = "personalized";
    public const string Popular = "popular";
}

/// <summary>Product ids, best first, and how they were chosen.</summary>
public sealed record Recommendation(IReadOnlyList<long> ProductIds, string Source);

public sealed record PurchasedLine(long ProductId, int Quantity);

/// <summary>A confirmed order as the storefront forwards it: its event id makes a repeat harmless.</summary>
public sealed record ConfirmedOrder(long EventId, long UserId, DateTimeOffset OccurredAt, IReadOnlyList<PurchasedLine> Lines);

public sealed record IngestionResult(int Applied, int Duplicates);
