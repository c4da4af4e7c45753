using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;

namespace ScaleShop.Storefront.Tests;

/// <summary>Own app instance: counting database operations needs an app no other test class is using.</summary>
public sealed class CachingApp : StorefrontApp;

public sealed class CachingTests(CachingApp app) : IClassFixture<CachingApp>
{
    private MetricCollector<long> CatalogOperations() =>
        new(app.Service<System.Diagnostics.Metrics.IMeterFactory>(), DataMetrics.MeterName, "scaleshop.db.operations");

    private static long CatalogCount(MetricCollector<long> collector) =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["db.name"], "catalog")).Sum(m => m.Value);

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
        Assert.True(lookups.GetMeasurementSnapshot().Where(m => Equals(m.Tags["cache.result"], "hit")).Sum(m => m.Value) >= 20);
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
}
