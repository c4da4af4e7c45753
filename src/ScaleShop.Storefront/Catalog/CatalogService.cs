using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;
using ScaleShop.Storefront.Common;
using ZiggyCreatures.Caching.Fusion;

namespace ScaleShop.Storefront.Catalog;

/// <summary>
/// Catalog reads through the cache. Every entry is tagged with what can invalidate it, so an admin's change
/// to one product evicts exactly the product, its category's listings, all listings, search and best-sellers.
/// Product entries carry the product's version, and no load puts back an older version than the cache holds
/// (no stale sets): a read that was in flight when an admin's change was cached returns the change instead.
/// </summary>
public sealed class CatalogService
{
    public const string SearchTag = "search";
    public const string PopularTag = "popular";
    private const int BestSellerPoolSize = 100;

    private readonly CatalogStore _store;
    private readonly IFusionCache _cache;
    private readonly ProductCacheReassertions _reassertions;
    private readonly TimeProvider _time;
    private readonly TimeSpan _staleSetGuardDelay;
    private readonly FusionCacheEntryOptions _categoriesEntry;
    private readonly FusionCacheEntryOptions _productEntry;
    private readonly FusionCacheEntryOptions _listingEntry;
    private readonly FusionCacheEntryOptions _popularEntry;

    public CatalogService(CatalogStore store, IFusionCache cache, ProductCacheReassertions reassertions, TimeProvider time, IOptions<CachingOptions> cachingOptions)
    {
        _store = store;
        _cache = cache;
        _reassertions = reassertions;
        _time = time;
        var caching = cachingOptions.Value;
        _staleSetGuardDelay = caching.StaleSetGuardDelay;
        // Built once from the cache's defaults (jitter, fail-safe, soft timeout): no allocation per lookup.
        _categoriesEntry = cache.CreateEntryOptions(duration: caching.CategoriesDuration);
        _productEntry = cache.CreateEntryOptions(duration: caching.ProductDuration);
        _listingEntry = cache.CreateEntryOptions(duration: caching.ListingDuration);
        _popularEntry = cache.CreateEntryOptions(duration: caching.PopularDuration);
    }

    public static string CategoryTag(long categoryId) => $"category:{categoryId}";

    /// <summary>What shows this one product alone (its web page); evicted when it changes.</summary>
    public static string ProductTag(long productId) => $"product:{productId}";

    /// <summary>Lists of products across categories (the home page's best-sellers, the all-products listing).</summary>
    public const string AllListingsTag = "listing:all";

    public ValueTask<IReadOnlyList<Category>> GetCategoriesAsync(CancellationToken cancellationToken) =>
        _cache.GetOrSetTracedAsync<IReadOnlyList<Category>>("categories", "categories",
            (_, ct) => _store.GetCategoriesAsync(ct), _categoriesEntry, tags: null, cancellationToken);

    public ValueTask<Product?> GetProductAsync(long id, CancellationToken cancellationToken) =>
        _cache.GetOrSetTracedAsync<Product?>("product", ProductKey(id),
            (_, ct) => LoadNewestAsync(id, DataIntent.Read, ct), _productEntry, tags: null, cancellationToken);

    public ValueTask<bool> CategoryExistsAsync(long categoryId, CancellationToken cancellationToken) =>
        _cache.GetOrSetTracedAsync<bool>("category-exists", $"category-exists:{categoryId}",
            (_, ct) => _store.CategoryExistsAsync(categoryId, ct), _categoriesEntry, tags: null, cancellationToken);

    public async ValueTask<Page<ProductSummary>> ListProductsAsync(long? categoryId, long afterId, int limit, CancellationToken cancellationToken)
    {
        var key = $"products:{categoryId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"}:{afterId}:{limit}";
        string[] tags = categoryId is { } c ? [CategoryTag(c)] : [AllListingsTag];
        var rows = await _cache.GetOrSetTracedAsync<IReadOnlyList<ProductSummary>>("listing", key,
            (_, ct) => _store.ListProductsAsync(categoryId, afterId, limit + 1, ct), _listingEntry, tags, cancellationToken);
        return rows.Count > limit
            ? new Page<ProductSummary>(rows.Take(limit).ToList(), Cursor.Encode(rows[limit - 1].Id))
            : new Page<ProductSummary>(rows, null);
    }

    /// <summary>The best-selling products (order counts); the pool is cached once and sliced per caller.</summary>
    public async ValueTask<IReadOnlyList<ProductSummary>> GetBestSellersAsync(int limit, long? excludeProductId, CancellationToken cancellationToken)
    {
        var pool = await _cache.GetOrSetTracedAsync<IReadOnlyList<ProductSummary>>("best-sellers", "best-sellers",
            (_, ct) => _store.GetBestSellersAsync(BestSellerPoolSize, ct), _popularEntry, [PopularTag], cancellationToken);
        return pool.Where(p => p.Id != excludeProductId).Take(limit).ToList();
    }

    /// <summary>Most bought products (eventually consistent with orders), optionally in one category; cached as the best-sellers are.</summary>
    public ValueTask<IReadOnlyList<ProductSummary>> ListPopularAsync(long? categoryId, int limit, CancellationToken cancellationToken) =>
        _cache.GetOrSetTracedAsync<IReadOnlyList<ProductSummary>>("popular", $"popular:{categoryId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"}:{limit}",
            (_, ct) => _store.ListPopularAsync(categoryId, limit, ct), _popularEntry, [PopularTag], cancellationToken);

    /// <summary>"Customers also bought": products most often in the same orders as <paramref name="productId"/>.</summary>
    public ValueTask<IReadOnlyList<ProductSummary>> GetAlsoBoughtAsync(long productId, int limit, CancellationToken cancellationToken) =>
        _cache.GetOrSetTracedAsync<IReadOnlyList<ProductSummary>>("also-bought", $"also-bought:{productId}:{limit}",
            (_, ct) => _store.GetAlsoBoughtAsync(productId, limit, ct), _popularEntry, [PopularTag], cancellationToken);

    /// <summary>
    /// A product changed: its own entry is overwritten with the new row (read back from the primary by the
    /// update), so no instance can refill it from a replica that is still behind; everything else that shows
    /// it is evicted by tag. With a backplane this reaches every instance. The entry is written once more
    /// after <see cref="CachingOptions.StaleSetGuardDelay"/>, over anything a racing load slipped in.
    /// </summary>
    public async ValueTask ProductChangedAsync(Product product, CancellationToken cancellationToken)
    {
        await _cache.SetAsync<Product?>(ProductKey(product.Id), product, _productEntry, token: cancellationToken);
        foreach (var tag in new[] { ProductTag(product.Id), CategoryTag(product.CategoryId), AllListingsTag, SearchTag, PopularTag })
        {
            await _cache.RemoveByTagAsync(tag, token: cancellationToken);
        }

        _reassertions.Schedule(product.Id, _time.GetUtcNow() + _staleSetGuardDelay);
    }

    /// <summary>Reads the product from the primary and caches it, unless the cache already holds a higher version.</summary>
    public async ValueTask ReassertProductAsync(long id, CancellationToken cancellationToken)
    {
        if (await LoadNewestAsync(id, DataIntent.ReadYourWrites, cancellationToken) is { } product)
        {
            await _cache.SetAsync<Product?>(ProductKey(id), product, _productEntry, token: cancellationToken);
        }
    }

    /// <summary>
    /// The product as the database has it, unless the cache meanwhile got a higher version: a change cached
    /// while this read was in flight (a slow query, a lagging replica) must not be replaced by what it read.
    /// </summary>
    private async Task<Product?> LoadNewestAsync(long id, DataIntent intent, CancellationToken cancellationToken)
    {
        var loaded = await _store.GetProductAsync(id, intent, cancellationToken);
        var cached = await _cache.TryGetAsync<Product?>(ProductKey(id), _productEntry, cancellationToken);
        return loaded is not null && cached.HasValue && cached.Value is { } current && current.Version > loaded.Version ? current : loaded;
    }

    private static string ProductKey(long id) => $"product:{id}";
}
