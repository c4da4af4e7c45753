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
/// For a product: what customers also bought with it (the co-purchase projection, <c>related</c>); otherwise, or
/// while nothing has been bought with it yet, the best-sellers by order count (<c>popular</c>). The separate
/// recommendations service (personal picks) replaces this behind the same response, with these as its fallback.
/// </summary>
public sealed class RecommendationService(CatalogService catalog)
{
    public const string PopularSource = "popular";
    public const string RelatedSource = "related";
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

        if (productId is { } viewed && await catalog.GetAlsoBoughtAsync(viewed, count, cancellationToken) is { Count: > 0 } related)
        {
            return new RecommendationOutcome.Recommended(related, RelatedSource);
        }

        return new RecommendationOutcome.Recommended(await catalog.GetBestSellersAsync(count, productId, cancellationToken), PopularSource);
    }
}
