using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polly.RateLimiting;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Tests;

/// <summary>A bus bulkhead of one publish and no queue, chaos on (to hold the slot), a dispatcher that retries quickly.</summary>
public sealed class BusBulkheadApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "true"),
        new("Messaging:BusMaxConcurrentPublishes", "1"),
        new("Messaging:BusMaxQueuedPublishes", "0"),
        new("Messaging:DispatchInterval", "00:00:00.050"),
        new("Messaging:DispatchMaxBackoff", "00:00:00.500"),
        // The publish holding the slot must outlast the test, not end at the bus's own publish timeout.
        new("Messaging:PublishTimeout", "00:10:00"),
    ];
}

public sealed class BusBulkheadTests(BusBulkheadApp app) : IClassFixture<BusBulkheadApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task With_its_only_slot_taken_a_publish_is_refused_and_the_events_wait_in_the_outbox_until_it_is_free()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var bus = app.Service<IEventBus>();
        var outbox = app.Service<Outbox>();
        var chaos = app.Service<ChaosSwitchboard>();
        using var dispatchFailures = new MetricCollector<long>(app.Service<IMeterFactory>(), MessagingMetrics.MeterName, "scaleshop.outbox.dispatch_failures");
        await app.Service<OutboxDispatcher>().DrainAsync(Patience, ct); // nothing of the registration left to publish

        // One publish takes the only slot and keeps it: injected latency sits inside the bulkhead, until cancelled.
        chaos.Set(ResilientEventBus.DependencyName, new DependencyFault { LatencyRate = 1, LatencyMs = 600_000 });
        using var release = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task holding;
        try
        {
            while ((holding = bus.PublishAsync([Event()], release.Token)) is var attempt && await Task.WhenAny(attempt, Task.Delay(200, ct)) == attempt)
            {
                // Refused: a dispatcher pass had the slot for a moment. Try again.
                await Assert.ThrowsAsync<RateLimiterRejectedException>(() => attempt);
                await Task.Delay(20, ct);
            }

            // A second publish is refused at once, without waiting or reaching the bus.
            await Assert.ThrowsAsync<RateLimiterRejectedException>(() => bus.PublishAsync([Event()], ct));

            // An order meanwhile: checkout goes on; its events wait in the outbox, every dispatch of them refused.
            Assert.Equal(HttpStatusCode.Created, (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 2))).StatusCode);
            await Eventually.ValueAsync(() => Task.FromResult(dispatchFailures.GetMeasurementSnapshot().Count), failures => failures >= 2, Patience,
                "the dispatcher's publishes refused by the bulkhead");
            Assert.True(await outbox.CountAsync(ct) > 0, "the order's events are still in the outbox");
            Assert.Empty(await app.QueryCatalogAsync("SELECT units FROM product_popularity WHERE product_id = @productId", new { productId }));
        }
        finally
        {
            chaos.ClearAll();
            await release.CancelAsync();
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => holding);

        // The slot free again: the dispatcher publishes what waited, and the projection counts the order once.
        await Eventually.ValueAsync(() => outbox.CountAsync(ct), pending => pending == 0, Patience, "the outbox emptied");
        await Eventually.ValueAsync(() => app.QueryCatalogAsync("SELECT units FROM product_popularity WHERE product_id = @productId", new { productId }),
            units => units.SequenceEqual([2L]), Patience, "the order projected once");
    }

    [Fact]
    public void The_bulkhead_limits_are_validated_at_start_up()
    {
        var validator = new MessagingOptionsValidator();
        Assert.True(validator.Validate(null, new MessagingOptions { BusMaxConcurrentPublishes = 0 }).Failed);
        Assert.True(validator.Validate(null, new MessagingOptions { BusMaxQueuedPublishes = -1 }).Failed);
        Assert.True(validator.Validate(null, new MessagingOptions { BusMaxConcurrentPublishes = 1, BusMaxQueuedPublishes = 0 }).Succeeded);
    }

    private static IntegrationEvent Event() =>
        new(Random.Shared.NextInt64(1L << 50, 1L << 60), "test.bulkhead", 1, "{}", DateTimeOffset.UtcNow);
}
