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
/// Asks the recommendations service (personal picks, "customers also bought", popular items) and shows its
/// products from the catalog cache. When the service does not answer within its timeout, or its breaker is
/// open, the page gets the storefront's own cached projections instead, marked <c>fallback</c>: for a product,
/// what was bought with it (<see cref="PopularityProjection"/>'s co-purchases), else the best-sellers. A page
/// never waits on the service beyond the timeout and never fails because of it.
/// </summary>
public sealed class RecommendationService(CatalogService catalog, RecommendationsClient client, RecommendationsMetrics metrics)
{
    public const string FallbackSource = "fallback";
    public const string PopularSource = "popular";
    public const int DefaultCount = 10;
    public const int MaxCount = 50;

    public async Task<RecommendationOutcome> RecommendAsync(long? userId, long? productId, int? limit, CancellationToken cancellationToken)
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

        if (await client.RecommendAsync(userId, productId, count, cancellationToken) is { } answer)
        {
            if (answer.ProductIds.Count == 0)
            {
                // A service that has seen no orders yet (new, or rebuilding) knows no products: the catalog's best-sellers are the popular items.
                metrics.Served(PopularSource);
                return new RecommendationOutcome.Recommended(await catalog.GetBestSellersAsync(count, productId, cancellationToken), PopularSource);
            }

            var items = await ShowAsync(answer.ProductIds, count, cancellationToken);
            metrics.Served(answer.Source);
            return new RecommendationOutcome.Recommended(items, answer.Source);
        }

        metrics.Served(FallbackSource);
        var fallback = productId is { } viewed ? await catalog.GetAlsoBoughtAsync(viewed, count, cancellationToken) : [];
        return new RecommendationOutcome.Recommended(
            fallback.Count > 0 ? fallback : await catalog.GetBestSellersAsync(count, productId, cancellationToken), FallbackSource);
    }

    /// <summary>The products behind the ids, from the catalog cache; ids the catalog no longer has are left out.</summary>
    private async Task<IReadOnlyList<ProductSummary>> ShowAsync(IReadOnlyList<long> ids, int count, CancellationToken cancellationToken)
    {
        var items = new List<ProductSummary>(Math.Min(ids.Count, count));
        foreach (var id in ids.Where(i => i > 0).Distinct().Take(count))
        {
            if (await catalog.GetProductAsync(id, cancellationToken) is { } product)
            {
                items.Add(product.ToSummary());
            }
        }

        return items;
    }
}
