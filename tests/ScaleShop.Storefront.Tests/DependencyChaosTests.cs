using System.Globalization;
using System.Net;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ScaleShop.Resilience;

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
        // The outcome test fails every call to the provider: its breaker must not stay open for the other tests' checkouts.
        new("Payments:BreakerMinimumThroughput", "100000"),
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

    [Fact]
    public async Task Outcome_settings_are_validated_and_refused_for_dependencies_that_are_not_HTTP()
    {
        using var admin = await app.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = 1.5 }, ct)).AssertFieldErrorAsync("outcomeRate");
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = -0.1 }, ct)).AssertFieldErrorAsync("outcomeRate");
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = 0.5, outcomeStatusCode = 200 }, ct))
            .AssertFieldErrorAsync("outcomeStatusCode");
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = 0.5, outcomeStatusCode = 600 }, ct))
            .AssertFieldErrorAsync("outcomeStatusCode");

        // A database, the bus, Redis: no HTTP response to inject.
        var notHttp = await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.shard0", new { outcomeRate = 0.5 }, ct)).AssertFieldErrorAsync("outcomeRate");
        Assert.Contains("not an HTTP dependency", notHttp.Errors!["outcomeRate"][0], StringComparison.Ordinal);
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/bus", new { outcomeStatusCode = 500 }, ct)).AssertFieldErrorAsync("outcomeStatusCode");
        var view = await (await admin.GetAsync("/api/v1/admin/chaos/dependencies", ct)).ReadAsync<DependencyChaosDto>();
        Assert.DoesNotContain("db.shard0", view.Active.Keys);
        Assert.DoesNotContain("payments", view.Active.Keys);
    }

    [Fact]
    public async Task An_injected_503_from_the_payment_provider_takes_the_provider_unavailable_path()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        using var admin = await app.AdminAsync();
        try
        {
            var armed = await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = 1.0 }, ct)).ReadAsync<DependencyChaosDto>();
            Assert.Equal(503, armed.Active["payments"].OutcomeStatusCode); // the default status

            // Every attempt (the retries too) is answered 503 without reaching the provider: as when it is down.
            var order = await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).ReadAsync<OrderDto>(HttpStatusCode.Accepted);
            Assert.Equal("pending_payment", order.Status);
            Assert.Empty(await app.Payments.PaymentsForAsync(order.Id));
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task An_injected_error_from_the_recommendations_service_serves_the_fallback()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _, _) = await app.NewUserAsync(); // signed in: the answer is asked for every time, never a cached one
        using var _ = client;
        using var admin = await app.AdminAsync();
        var productId = StorefrontApp.TakeProductId();
        var path = $"/api/v1/recommendations?productId={productId}";
        await Eventually.ValueAsync(async () => await (await client.GetAsync(path, ct)).ReadAsync<RecommendationsDto>(), r => r.Source != "fallback",
            TimeSpan.FromSeconds(30), "the service answering before the injection");
        try
        {
            (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/recommendations", new { outcomeRate = 1.0, outcomeStatusCode = 500 }, ct)).EnsureSuccessStatusCode();
            var answer = await (await client.GetAsync(path, ct)).ReadAsync<RecommendationsDto>();
            Assert.Equal("fallback", answer.Source);
            Assert.NotEmpty(answer.Items);
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }
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

    private sealed record DependencyChaosDto(bool Enabled, List<string> Dependencies, Dictionary<string, FaultDto> Active);

    private sealed record FaultDto(double FaultRate, double OutcomeRate, int OutcomeStatusCode);
}

/// <summary>With chaos off (the default), faults in configuration are not injected and none can be switched on.</summary>
public sealed class ChaosKillSwitchApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "false"),
        new("Chaos:Dependencies:db.catalog:FaultRate", "1"),
        new("Chaos:Dependencies:payments:FaultRate", "1"),
        new("Chaos:Dependencies:payments:OutcomeRate", "1"),
        new("Chaos:Dependencies:recommendations:OutcomeRate", "1"),
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
        // Configured outcomes (an injected 503 for every call) are not injected either: the service's own answer.
        Assert.NotEqual("fallback", (await (await client.GetAsync($"/api/v1/recommendations?productId={StorefrontApp.TakeProductId()}", ct)).ReadAsync<RecommendationsDto>()).Source);

        using var admin = await app.AdminAsync();
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.catalog", new { faultRate = 1 }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { outcomeRate = 1 }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
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

/// <summary>The outcome strategy on its own: configuration, validation, the kill switch, read on every call.</summary>
public sealed class ChaosOutcomeStrategyTests
{
    [Fact]
    public async Task A_configured_outcome_answers_with_its_status_without_calling_the_dependency_and_nothing_while_chaos_is_off()
    {
        var enabled = Switchboard(new()
        {
            ["Chaos:Enabled"] = "true",
            ["Chaos:Dependencies:svc:OutcomeRate"] = "1",
            ["Chaos:Dependencies:svc:OutcomeStatusCode"] = "502",
        });
        using (var injected = await CallAsync(enabled))
        {
            Assert.Equal(HttpStatusCode.BadGateway, injected.Response.StatusCode);
            Assert.Equal(0, injected.Calls);
            Assert.Contains("injected", await injected.Response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        var off = Switchboard(new()
        {
            ["Chaos:Enabled"] = "false",
            ["Chaos:Dependencies:svc:OutcomeRate"] = "1",
        });
        using var real = await CallAsync(off);
        Assert.Equal(HttpStatusCode.OK, real.Response.StatusCode);
        Assert.Equal(1, real.Calls);
    }

    [Fact]
    public async Task An_outcome_set_at_run_time_is_read_on_the_next_call_and_lifted_the_same_way()
    {
        var chaos = Switchboard(new() { ["Chaos:Enabled"] = "true" });
        var pipeline = new Polly.ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddHttpDependencyChaos("svc", chaos, () => new HttpRequestException("injected")).Build();
        Assert.True(chaos.InjectsOutcomes("svc"));

        chaos.Set("svc", new DependencyFault { OutcomeRate = 1 });
        using (var injected = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK)), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, injected.StatusCode); // 503 unless told otherwise
        }

        chaos.Set("svc", new DependencyFault());
        using var real = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK)), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Theory]
    [InlineData("OutcomeRate", "1.5")]
    [InlineData("OutcomeStatusCode", "200")]
    [InlineData("OutcomeStatusCode", "600")]
    public void Outcome_settings_out_of_range_stop_the_start_naming_the_key(string setting, string value)
    {
        var services = Services(new() { ["Chaos:Enabled"] = "true", [$"Chaos:Dependencies:payments:{setting}"] = value });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ChaosOptions>>().Value);
        Assert.Contains($"Chaos:Dependencies:payments:{setting}", error.Message, StringComparison.Ordinal);
    }

    private static async Task<Called> CallAsync(ChaosSwitchboard chaos)
    {
        var pipeline = new Polly.ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddHttpDependencyChaos("svc", chaos, () => new HttpRequestException("injected")).Build();
        var calls = 0;
        var response = await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }, TestContext.Current.CancellationToken);
        return new Called(response, calls);
    }

    private static ChaosSwitchboard Switchboard(Dictionary<string, string?> settings)
    {
        var chaos = Services(settings).GetRequiredService<ChaosSwitchboard>();
        chaos.ArmConfiguredFaults();
        return chaos;
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddLogging().AddMetrics()
            .AddDependencyResilience(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

    private sealed record Called(HttpResponseMessage Response, int Calls) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }
}
