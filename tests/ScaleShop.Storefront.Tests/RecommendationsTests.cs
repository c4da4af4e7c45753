using System.Diagnostics;
using System.Net;
using ScaleShop.Storefront.Tests.Infrastructure;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>A storefront with the production recommendations timeout, whose breaker recovers quickly, so one test's outage does not spill into the next.</summary>
public sealed class RecommendationsStorefrontApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Recommendations:Timeout", "00:00:00.150"), // the production budget: these tests are about it
        new("Recommendations:BreakerBreakDuration", "00:00:00.500"),
        new("Recommendations:BreakerMinimumThroughput", "4"),
        new("Messaging:DeferredRetryBaseDelay", "00:00:00.200"),
        new("Messaging:DeferredRetryMaxDelay", "00:00:00.500"),
    ];
}

/// <summary>
/// Recommendations through the separate service, over real HTTP, fed by confirmed orders through the bus;
/// and what the storefront does when the service is slow or down (the degradation contract's first clause).
/// </summary>
public sealed class RecommendationsTests(RecommendationsStorefrontApp app) : IClassFixture<RecommendationsStorefrontApp>, IAsyncLifetime
{
    private static readonly TimeSpan FeedWait = TimeSpan.FromSeconds(20);

    private sealed record OutboxDto(long Pending, Dictionary<string, long> Deferred);

    private sealed record ResilienceDto(Dictionary<string, string> Circuits);

    public ValueTask InitializeAsync() => new(app.Recommendations.SetFaultsAsync());

    public ValueTask DisposeAsync() => new(app.Recommendations.SetFaultsAsync());

    private static string NewKey() => Guid.NewGuid().ToString("N");

    private static Task<RecommendationsDto> RecommendationsAsync(HttpClient client, string query = "") =>
        client.GetAsync($"/api/v1/recommendations?limit=10{query}", TestContext.Current.CancellationToken).ContinueWith(t => t.Result.ReadAsync<RecommendationsDto>()).Unwrap();

    [Fact]
    public async Task Confirmed_orders_teach_the_service_personal_picks_and_customers_also_bought()
    {
        var (buyer, _, _) = await app.NewUserAsync();
        var (shopper, _, _) = await app.NewUserAsync();
        using var _ = buyer;
        using var __ = shopper;
        var (first, second) = (StorefrontApp.TakeProductId(), StorefrontApp.TakeProductId());
        Assert.Equal(HttpStatusCode.Created, (await buyer.PlaceOrderAsync(NewKey(), (first, 1), (second, 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await shopper.PlaceOrderAsync(NewKey(), (first, 1))).StatusCode);

        var picks = await Eventually.ValueAsync(() => RecommendationsAsync(shopper), r => r.Source == "personalized", FeedWait, "the shopper's personal picks");
        Assert.Equal(second, Assert.Single(picks.Items).Id); // what was bought with their product, not what they own
        using var anonymous = app.Anonymous();
        var related = await Eventually.ValueAsync(() => RecommendationsAsync(anonymous, $"&productId={first}"), r => r.Source == "related", FeedWait, "customers also bought");
        Assert.Equal(second, Assert.Single(related.Items).Id);
        Assert.Equal(first, (await anonymous.GetProductAsync(first)).Id);
    }

    [Fact]
    public async Task With_the_service_down_pages_get_the_fallback_shopping_goes_on_and_the_service_catches_up_afterwards()
    {
        await app.Recommendations.SetFaultsAsync(down: true);
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var (first, second) = (StorefrontApp.TakeProductId(), StorefrontApp.TakeProductId());

        var fallback = await RecommendationsAsync(client, $"&productId={first}");
        Assert.Equal("fallback", fallback.Source);
        Assert.NotEmpty(fallback.Items); // the storefront's own cached best-sellers
        Assert.DoesNotContain(fallback.Items, p => p.Id == first);
        Assert.Equal(first, (await client.GetProductAsync(first)).Id);
        Assert.Equal(HttpStatusCode.Created, (await client.PlaceOrderAsync(NewKey(), (first, 1), (second, 1))).StatusCode);

        if (!TestStorage.IsPostgres)
        {
            // The in-process bus defers the feed's events instead of holding the outbox: everything else is published
            // (an outbox held by the feed would keep its order's events pending until the service came back).
            using var admin = await app.AdminAsync();
            await Eventually.ValueAsync(async () => await (await admin.GetAsync("/api/v1/admin/outbox", TestContext.Current.CancellationToken)).ReadAsync<OutboxDto>(),
                o => o.Deferred.GetValueOrDefault("recommendations-feed") > 0 && o.Pending == 0, FeedWait, "the feed's events deferred and the outbox drained");
        }

        await app.Recommendations.SetFaultsAsync();
        var related = await Eventually.ValueAsync(() => RecommendationsAsync(client, $"&productId={first}"), r => r.Source == "related", FeedWait, "the order bought while the service was down, learnt after");
        Assert.Equal(second, Assert.Single(related.Items).Id);
    }

    [Fact]
    public async Task Answers_the_same_for_everyone_are_kept_briefly_personal_picks_are_not()
    {
        var (buyer, _, _) = await app.NewUserAsync();
        using var _ = buyer;
        var (first, second) = (StorefrontApp.TakeProductId(), StorefrontApp.TakeProductId());
        Assert.Equal(HttpStatusCode.Created, (await buyer.PlaceOrderAsync(NewKey(), (first, 1), (second, 1))).StatusCode);
        using var anonymous = app.Anonymous();
        await Eventually.ValueAsync(() => RecommendationsAsync(anonymous, $"&productId={first}"), r => r.Source == "related", FeedWait, "customers also bought");

        await app.Recommendations.SetFaultsAsync(down: true);
        // Within the 5 s the answer is kept, a product page does not ask the service again...
        Assert.Equal("related", (await RecommendationsAsync(anonymous, $"&productId={first}")).Source);
        // ...but a signed-in shopper's answer is their own, asked for every time.
        Assert.Equal("fallback", (await RecommendationsAsync(buyer, $"&productId={first}")).Source);
    }

    [Fact]
    public async Task A_slow_service_costs_a_page_no_more_than_the_timeout()
    {
        await app.Recommendations.SetFaultsAsync(latencyMs: 2_000);
        using var client = app.Anonymous();
        var clock = Stopwatch.StartNew();
        var answer = await RecommendationsAsync(client, $"&productId={StorefrontApp.TakeProductId()}"); // a product no answer was cached for
        Assert.Equal("fallback", answer.Source);
        Assert.NotEmpty(answer.Items);
        // The service takes 2 s; the page waits its 150 ms timeout (a loose bound for a busy machine, far below 2 s).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the page waited {clock.Elapsed}");
    }

    [Fact]
    public async Task The_recommendations_circuit_is_visible_to_operators()
    {
        await app.Recommendations.SetFaultsAsync(down: true);
        using var anonymous = app.Anonymous();
        using var admin = await app.AdminAsync();
        // Successes of earlier tests within the sampling window dilute the failure ratio: keep failing until it tips.
        var resilience = await Eventually.ValueAsync(async () =>
        {
            Assert.Equal("fallback", (await RecommendationsAsync(anonymous, $"&productId={StorefrontApp.TakeProductId()}")).Source);
            return await (await admin.GetAsync("/api/v1/admin/resilience", TestContext.Current.CancellationToken)).ReadAsync<ResilienceDto>();
        }, r => r.Circuits.GetValueOrDefault("recommendations") == "Open", TimeSpan.FromSeconds(10), "the recommendations breaker open");
        Assert.Equal("Open", resilience.Circuits["recommendations"]);
    }
}
