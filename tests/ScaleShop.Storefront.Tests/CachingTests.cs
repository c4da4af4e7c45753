using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;

namespace ScaleShop.Storefront.Tests;

/// <summary>Own app instance: counting database operations needs an app no other test class is using.</summary>
public sealed class CachingApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Caching:StaleSetGuardDelay", "00:00:00.300")];
}

public sealed class CachingTests(CachingApp app) : IClassFixture<CachingApp>
{
    private MetricCollector<long> CatalogOperations() =>
        new(app.Service<System.Diagnostics.Metrics.IMeterFactory>(), DataMetrics.MeterName, "scaleshop.db.operations");

    // Catalog reads a cache miss makes (intent "read"); the shard-map poll and other background work read the
    // catalog's primary with other intents and are not what these tests count.
    private static long CatalogCount(MetricCollector<long> collector) =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["db.name"], "catalog") && Equals(m.Tags["db.intent"], "read")).Sum(m => m.Value);

    [Fact]
    public async Task Repeated_product_reads_are_served_from_the_cache_without_a_database_query()
    {
        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        await client.GetProductAsync(productId);

        using var operations = CatalogOperations();
        using var lookups = new MetricCollector<long>(app.Service<System.Diagnostics.Metrics.IMeterFactory>(), CacheMetrics.MeterName, "scaleshop.cache.lookups");
        for (var i = 0; i < 20; i++)
        {
            await client.GetProductAsync(productId);
        }

        Assert.Equal(0, CatalogCount(operations));
        // FusionCache raises its events on the thread pool, after the lookup returned: wait for the 20th.
        await Eventually.ValueAsync(() => Task.FromResult(lookups.GetMeasurementSnapshot().Where(m => Equals(m.Tags["cache.result"], "hit")).Sum(m => m.Value)),
            hits => hits >= 20, TimeSpan.FromSeconds(5), "20 cache hits recorded for 20 cached reads");
    }

    [Fact]
    public async Task Listings_categories_search_and_recommendations_are_cached_too()
    {
        using var client = app.Anonymous();
        string[] urls = ["/api/v1/products?categoryId=2&limit=5", "/api/v1/categories", "/api/v1/search?q=lamp", "/api/v1/recommendations"];
        foreach (var url in urls)
        {
            (await client.GetAsync(url, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        using var operations = CatalogOperations();
        foreach (var url in urls.Concat(urls))
        {
            (await client.GetAsync(url, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        Assert.Equal(0, CatalogCount(operations));
    }

    [Fact]
    public async Task Fifty_concurrent_misses_on_one_product_make_one_database_query()
    {
        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        using var operations = CatalogOperations();

        var products = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetProductAsync(productId)));

        Assert.All(products, p => Assert.Equal(productId, p.Id));
        Assert.Equal(1, CatalogCount(operations));
    }

    [Fact]
    public async Task A_stale_copy_written_after_an_admin_change_is_replaced_by_the_newer_version()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var catalog = app.Service<ScaleShop.Storefront.Catalog.CatalogService>();
        var before = (await catalog.GetProductAsync(productId, ct))!;
        using var admin = await app.AdminAsync();
        await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { name = "Renamed by admin" }, ct)).ReadAsync<ProductDto>();

        // A load that read the product before the change finishes only now, and writes what it read.
        await app.Service<ZiggyCreatures.Caching.Fusion.IFusionCache>().SetAsync<ScaleShop.Storefront.Catalog.Product?>($"product:{productId}", before, token: ct);
        Assert.Equal(before.Name, (await client.GetProductAsync(productId)).Name); // the hazard is real: the cache now holds the old copy

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await client.GetProductAsync(productId)).Name != "Renamed by admin" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }

        Assert.Equal("Renamed by admin", (await client.GetProductAsync(productId)).Name);
    }

    [Fact]
    public async Task A_load_never_replaces_a_higher_version_in_the_cache()
    {
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        var catalog = app.Service<ScaleShop.Storefront.Catalog.CatalogService>();
        var stored = (await catalog.GetProductAsync(productId, ct))!;
        var newer = stored with { Name = "Cached by a later change", Version = stored.Version + 5 };
        await app.Service<ZiggyCreatures.Caching.Fusion.IFusionCache>().SetAsync<ScaleShop.Storefront.Catalog.Product?>($"product:{productId}", newer, token: ct);

        await catalog.ReassertProductAsync(productId, ct); // loads the (older) row from the primary

        Assert.Equal(newer, await catalog.GetProductAsync(productId, ct));
    }
}
