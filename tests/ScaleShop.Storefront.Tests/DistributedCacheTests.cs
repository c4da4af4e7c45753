using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Data;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>A storefront instance whose cache has Redis as second level and backplane.</summary>
internal sealed class RedisStorefrontApp(string dataDirectory, bool ownsDataDirectory, string redis, bool chaos = false) : StorefrontApp(dataDirectory, ownsDataDirectory)
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [new("ConnectionStrings:redis", redis), new("Chaos:Enabled", chaos ? "true" : "false"), new("Caching:RedisCircuitBreakerDuration", "00:00:01")];
}

public sealed class DistributedCacheTests
{
    private static string RequireRedis()
    {
        Assert.SkipUnless(TestStorage.Redis is not null, "SCALESHOP_REDIS is not set: run ./test.sh, which starts the topology's Redis.");
        return TestStorage.Redis!;
    }

    [Fact]
    public async Task An_admin_change_on_one_instance_evicts_the_entry_on_every_instance()
    {
        var (first, second) = await TwoInstancesAsync(RequireRedis());
        await using var _ = first;
        await using var __ = second;
        using var onFirst = first.Anonymous();
        using var onSecond = second.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var before = await onSecond.GetProductAsync(productId);
        await onFirst.GetProductAsync(productId);

        using var admin = await first.AdminAsync();
        var newPrice = before.Price + 1.11m;
        (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { price = newPrice }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        // The backplane message is asynchronous: the second instance must see the change within seconds,
        // not after the entry's 30-second lifetime.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        ProductDto seen;
        do
        {
            seen = await onSecond.GetProductAsync(productId);
        }
        while (seen.Price != newPrice && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(newPrice, seen.Price);
    }

    [Fact]
    public async Task A_miss_on_one_instance_is_served_from_Redis_without_a_database_query()
    {
        var (first, second) = await TwoInstancesAsync(RequireRedis());
        await using var _ = first;
        await using var __ = second;
        var productId = StorefrontApp.TakeProductId();
        using var onFirst = first.Anonymous();
        await onFirst.GetProductAsync(productId);
        await Task.Delay(200, TestContext.Current.CancellationToken); // the write to Redis runs in the background

        using var operations = new MetricCollector<long>(second.Service<System.Diagnostics.Metrics.IMeterFactory>(), DataMetrics.MeterName, "scaleshop.db.operations");
        using var onSecond = second.Anonymous();
        var product = await onSecond.GetProductAsync(productId);

        Assert.Equal(productId, product.Id);
        // Catalog reads of a cache miss (the shard-map poll reads the catalog too, with another intent).
        Assert.Equal(0, operations.GetMeasurementSnapshot().Where(m => Equals(m.Tags["db.name"], "catalog") && Equals(m.Tags["db.intent"], "read")).Sum(m => m.Value));
    }

    [Fact]
    public async Task With_Redis_down_the_storefront_keeps_serving_from_memory_and_the_database()
    {
        // Nothing listens on port 1: every Redis call fails, from the first one on.
        await using var app = new RedisStorefrontApp(StorefrontApp.NewDataDirectory(), ownsDataDirectory: true, "127.0.0.1:1");
        await app.InitializeAsync();
        using var anonymous = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();

        await anonymous.GetProductAsync(productId);
        await anonymous.GetProductAsync(productId);
        (await anonymous.GetAsync("/api/v1/search?q=lamp", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 1))).ReadAsync<OrderDto>(HttpStatusCode.Created);
    }

    /// <summary>Two instances over the same databases and the same Redis, as behind a load balancer.</summary>
    [Fact]
    public async Task With_Redis_failing_the_storefront_serves_from_memory_and_the_database_and_shows_the_open_circuit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = new RedisStorefrontApp(StorefrontApp.NewDataDirectory(), ownsDataDirectory: true, RequireRedis(), chaos: true);
        await app.InitializeAsync();
        using var client = app.Anonymous();
        using var admin = await app.AdminAsync();
        var cachedId = StorefrontApp.TakeProductId();
        await client.GetProductAsync(cachedId);

        (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/redis", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
        Assert.Equal(cachedId, (await client.GetProductAsync(cachedId)).Id);           // memory
        for (var i = 0; i < 5; i++)
        {
            var uncached = StorefrontApp.TakeProductId();
            Assert.Equal(uncached, (await client.GetProductAsync(uncached)).Id);        // database
        }

        var states = await (await admin.GetAsync("/api/v1/admin/resilience", ct)).ReadAsync<ResilienceDto>();
        Assert.Equal("Open", states.Circuits["redis"]);

        (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        await Eventually.ValueAsync(async () =>
        {
            // A new search is a cache miss: the cache asks Redis again once its breaker lets it.
            (await client.GetAsync($"/api/v1/search?q=probe{Guid.NewGuid():N}", ct)).EnsureSuccessStatusCode();
            return (await (await admin.GetAsync("/api/v1/admin/resilience", ct)).ReadAsync<ResilienceDto>()).Circuits["redis"];
        }, state => state == "Closed", TimeSpan.FromSeconds(10), "The Redis circuit closing after the fault was lifted");
    }

    private sealed record ResilienceDto(Dictionary<string, string> Circuits);

    private static async Task<(RedisStorefrontApp First, RedisStorefrontApp Second)> TwoInstancesAsync(string redis)
    {
        var directory = StorefrontApp.NewDataDirectory();
        var first = new RedisStorefrontApp(directory, ownsDataDirectory: true, redis);
        await first.InitializeAsync();
        var second = new RedisStorefrontApp(directory, ownsDataDirectory: false, redis);
        await second.InitializeAsync();
        return (first, second);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(50);
        return true;
    }
}
