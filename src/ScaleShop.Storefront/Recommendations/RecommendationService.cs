using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Recommendations;

public abstract record RecommendationOutcome
{
    public sealed record Recommended(IReadOnlyList<ProductSummary> Items, string Source) : RecommendationOutcome;

    public sealed record Invalid(ValidationErrors Errors) : RecommendationOutcome;

    public sealed record UnknownProduct(long ProductId) : RecommendationOutcome;
}

/// <summary>
/// For now: the best-sellers by order count (cached), without the product being viewed. The separate
/// recommendations service (co-purchases, personal picks) replaces this behind the same response, with these
/// popular items as its fallback.
/// </summary>
public sealed class RecommendationService(CatalogService catalog)
{
    public const string PopularSource = "popular";
    public const int DefaultCount = 10;
    public const int MaxCount = 50;

    public async Task<RecommendationOutcome> RecommendAsync(long? productId, int? limit, CancellationToken cancellationToken)
    {
        var count = limit ?? DefaultCount;
        if (count is < 1 or > MaxCount)
        {
            return new RecommendationOutcome.Invalid(ValidationErrors.For("limit", $"limit must be between 1 and {MaxCount}."));
        }

        if (productId is { } id && (id <= 0 || await catalog.GetProductAsync(id, cancellationToken) is null))
        {
            return new RecommendationOutcome.UnknownProduct(id);
        }

        return new RecommendationOutcome.Recommended(await catalog.GetBestSellersAsync(count, productId, cancellationToken), PopularSource);
    }
}
