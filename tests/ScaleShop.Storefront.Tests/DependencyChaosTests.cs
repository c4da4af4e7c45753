using System.Globalization;
using System.Net;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Tests;

/// <summary>Chaos switched on, with breakers that open after a handful of failures and close after a second.</summary>
public sealed class DependencyChaosApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "true"),
        new("Resilience:Databases:BreakerMinimumThroughput", "4"),
        new("Resilience:Databases:BreakerSamplingDuration", "00:00:05"),
        new("Resilience:Databases:BreakerBreakDuration", "00:00:01"),
    ];
}

public sealed class DependencyChaosTests(DependencyChaosApp app) : IClassFixture<DependencyChaosApp>
{
    [Fact]
    public async Task A_broken_shard_fails_fast_for_its_own_users_only_and_recovers_when_it_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = app.Service<IDatabaseRouter>().ShardMap;
        var broken = map.PhysicalDatabases[2];
        var (victim, healthy) = await UsersOnAndOffAsync(broken);
        using var admin = await app.AdminAsync();
        try
        {
            (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{broken}", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();

            // Every request of its users is refused with 503 until the breaker (which also counts the background
            // workers' failures against this database) opens; then they are refused without touching it.
            var breakerDeadline = DateTimeOffset.UtcNow.AddSeconds(15);
            ResilienceDto states;
            while ((states = await (await admin.GetAsync("/api/v1/admin/resilience", ct)).ReadAsync<ResilienceDto>()).Circuits[$"db.{broken}"] != "Open")
            {
                var refused = await victim.GetAsync("/api/v1/cart", ct);
                await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
                Assert.NotNull(refused.Headers.RetryAfter);
                Assert.True(DateTimeOffset.UtcNow < breakerDeadline, $"The breaker of {broken} did not open: {string.Join(", ", states.Circuits)}");
            }

            Assert.All(states.Circuits.Where(c => c.Key.StartsWith("db.", StringComparison.Ordinal) && c.Key != $"db.{broken}"), c => Assert.Equal("Closed", c.Value));

            // Everyone else: browsing and checking out as usual.
            Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/api/v1/products/1", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await healthy.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).StatusCode);
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }

        await Eventually.ValueAsync(async () => (await victim.GetAsync("/api/v1/cart", ct)).StatusCode, status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "The shard's users recovering after the fault was lifted");

        victim.Dispose();
        healthy.Dispose();
    }

    [Fact]
    public async Task Injection_settings_are_validated_and_name_a_known_dependency()
    {
        using var admin = await app.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.shard0", new { faultRate = 1.5 }, ct)).AssertFieldErrorAsync("faultRate");
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.nowhere", new { faultRate = 0.5 }, ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        using var user = (await app.NewUserAsync()).Client;
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.shard0", new { faultRate = 0.5 }, ct)).StatusCode);
        var view = await (await admin.GetAsync("/api/v1/admin/chaos/dependencies", ct)).ReadAsync<DependencyChaosDto>();
        Assert.Contains("payments", view.Dependencies);
        Assert.Contains("db.catalog", view.Dependencies);
    }

    private async Task<(HttpClient OnShard, HttpClient Elsewhere)> UsersOnAndOffAsync(string physical)
    {
        var map = app.Service<IDatabaseRouter>().ShardMap;
        HttpClient? on = null, off = null;
        for (var attempt = 0; attempt < 200 && (on is null || off is null); attempt++)
        {
            var (client, id, _) = await app.NewUserAsync();
            var home = map.PhysicalDatabaseOf(new ShardedId(long.Parse(id, CultureInfo.InvariantCulture)).LogicalShard);
            if (home == physical && on is null)
            {
                on = client;
            }
            else if (home != physical && off is null)
            {
                off = client;
            }
            else
            {
                client.Dispose();
            }
        }

        return (on ?? throw new InvalidOperationException($"No user landed on {physical}."), off!);
    }

    private sealed record ResilienceDto(Dictionary<string, string> Circuits, bool ChaosEnabled);

    private sealed record DependencyChaosDto(bool Enabled, List<string> Dependencies);
}

/// <summary>With chaos off (the default), faults in configuration are not injected and none can be switched on.</summary>
public sealed class ChaosKillSwitchApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "false"),
        new("Chaos:Dependencies:db.catalog:FaultRate", "1"),
        new("Chaos:Dependencies:payments:FaultRate", "1"),
    ];
}

public sealed class ChaosKillSwitchTests(ChaosKillSwitchApp app) : IClassFixture<ChaosKillSwitchApp>
{
    [Fact]
    public async Task With_the_kill_switch_off_nothing_is_injected_even_if_configured_and_nothing_can_be_armed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/api/v1/products/2", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).StatusCode);

        using var admin = await app.AdminAsync();
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.catalog", new { faultRate = 1 }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PostAsJsonAsync("/api/v1/admin/chaos/checkout", new { step = "OrderWritten" }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/api/v1/products/3", ct)).StatusCode);
    }
}

/// <summary>A bulkhead of 2 connections per database, no queue.</summary>
public sealed class TightBulkheadApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Resilience:Databases:MaxConcurrentOperations", "2"),
        new("Resilience:Databases:MaxQueuedOperations", "0"),
    ];
}

public sealed class BulkheadTests(TightBulkheadApp app) : IClassFixture<TightBulkheadApp>
{
    [Fact]
    public async Task Every_closed_connection_gives_its_bulkhead_slot_back()
    {
        // Far more units of work than slots, one after another: a slot not given back would starve the database.
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).StatusCode);
        }
    }
}
