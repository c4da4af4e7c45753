using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;
using ZiggyCreatures.Caching.Fusion;
using ScaleShop.Storefront.Common;

using ScaleShop.Storefront.Caching;

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
public sealed class RecommendationService(
    CatalogService catalog, RecommendationsClient client, RecommendationsMetrics metrics, IFusionCache cache, IOptions<RecommendationsOptions> options)
{
    private readonly FusionCacheEntryOptions _sharedAnswerEntry = new()
    {
        Duration = options.Value.SharedAnswerCacheDuration,
        // Per instance: the answers are cheap to ask for again and stale within seconds.
        SkipDistributedCacheRead = true,
        SkipDistributedCacheWrite = true,
        SkipBackplaneNotifications = true,
    };

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

        if (await AskAsync(userId, productId, count, cancellationToken) is { } answer)
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

    /// <summary>The service's answer; one that is the same for everyone (no user) is kept briefly. A failure is never cached.</summary>
    private async Task<ServiceRecommendation?> AskAsync(long? userId, long? productId, int count, CancellationToken cancellationToken)
    {
        if (userId is not null || options.Value.SharedAnswerCacheDuration <= TimeSpan.Zero)
        {
            return await client.RecommendAsync(userId, productId, count, cancellationToken);
        }

        var key = $"recommendations:{productId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}:{count}";
        if (await cache.TryGetTracedAsync<ServiceRecommendation>("recommendations", key, _sharedAnswerEntry, cancellationToken) is { HasValue: true } cached)
        {
            return cached.Value;
        }

        var answer = await client.RecommendAsync(null, productId, count, cancellationToken);
        if (answer is not null)
        {
            await cache.SetAsync(key, answer, _sharedAnswerEntry, cancellationToken);
        }

        return answer;
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
