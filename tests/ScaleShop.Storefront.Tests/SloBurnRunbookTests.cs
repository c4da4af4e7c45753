using System.Globalization;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Slo;
using ScaleShop.Storefront.Chaos;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// Chaos on, and objectives whose one burn-rate alert judges seconds instead of hours: a 14.4× burn over 30 s and 5 s,
/// with 1 s buckets and at least 5 requests in the short window. The same journeys and objectives as the shipped file,
/// so the alert fires within seconds of a burn and stops within seconds of the fix.
/// </summary>
public sealed class SloBurnApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings
    {
        get
        {
            Directory.CreateDirectory(DataDirectory);
            var objectives = Path.Combine(DataDirectory, "objectives.json");
            File.WriteAllText(objectives, """
                {
                  "budgetPeriod": "30d",
                  "runbook": "docs/runbooks/slo-burn.md",
                  "minimumRequests": 5,
                  "journeys": {
                    "browse":          { "availability": 0.999,  "latency": { "thresholdMs": 100, "objective": 0.99 } },
                    "search":          { "availability": 0.999,  "latency": { "thresholdMs": 100, "objective": 0.99 } },
                    "cart":            { "availability": 0.999,  "latency": { "thresholdMs": 300, "objective": 0.99 } },
                    "checkout":        { "availability": 0.9995, "latency": { "thresholdMs": 300, "objective": 0.99 } },
                    "recommendations": { "availability": 0.999,  "latency": { "thresholdMs": 250, "objective": 0.99 } }
                  },
                  "alerts": [ { "name": "fast-burn", "severity": "page", "factor": 14.4, "longWindow": "30s", "shortWindow": "5s" } ]
                }
                """);
            return
            [
                new("Chaos:Enabled", "true"),
                new("Slo:ObjectivesPath", objectives),
                new("Slo:BucketWidth", "00:00:01"),
                // The failed shard's breaker, once open, closes a second after the fault is lifted.
                new("Resilience:Databases:BreakerBreakDuration", "00:00:01"),
            ];
        }
    }
}

/// <summary>
/// docs/runbooks/slo-burn.md executed as written against a real storefront (Kestrel, on whichever provider the pass
/// runs): a fault injected on a shopper's shard through the chaos admin API fails their cart while they keep using
/// it, until /api/ops/slo shows the cart's availability paging. The runbook's diagnosis and actions then run (the
/// actions lift the injected fault) while the shopper goes on, and its verification passes once the short window is
/// clean: the alert stops and the fault is gone. A runbook whose API calls drift from the storefront fails here.
/// </summary>
public sealed class SloBurnRunbookTests(SloBurnApp app) : IClassFixture<SloBurnApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_slo_burn_runbook_finds_and_lifts_the_fault_burning_the_cart_budget_and_the_alert_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = await app.AdminAsync();
        var (shopper, id, _) = await app.NewUserAsync();
        using var _ = shopper;
        var home = app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabaseOf(new ShardedId(long.Parse(id, CultureInfo.InvariantCulture)).LogicalShard);

        // The shopper keeps using their cart throughout, as shoppers would: its requests are what the alert judges.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await shopper.GetAsync("/api/v1/cart", stop.Token);
                    await Task.Delay(100, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }, CancellationToken.None);
        try
        {
            (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{home}", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
            var burning = await Eventually.ValueAsync(SloAsync, slo => slo.Firing.Any(f => f is { Journey: "cart", Sli: SloObjectives.AvailabilitySli }),
                Wait, "the cart's availability alert firing");
            Assert.Equal("page", Assert.Single(burning.Firing, f => f is { Journey: "cart", Sli: SloObjectives.AvailabilitySli }).Severity);

            var drill = await RunbookRun.DrillAsync("slo-burn.md", admin);

            RunbookRun.AssertRanCleanly(drill);
            Assert.Contains(drill.Steps, step => step.Block.Section == "Diagnosis" && step.Output.Contains("\"cart\"", StringComparison.Ordinal));
            Assert.Contains(drill.Steps, step => step.Block.Section == "Diagnosis" && step.Output.Contains($"db.{home}", StringComparison.Ordinal));

            // Recovered by the runbook itself, before the safety net below: the fault lifted, the alert stopped.
            Assert.Empty((await (await admin.GetAsync("/api/v1/admin/resilience", ct)).ReadAsync<ResilienceView>()).ActiveFaults);
            Assert.Empty((await SloAsync()).Firing);
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode(); // a safety net only
        }

        await Eventually.ValueAsync(async () => (await shopper.GetAsync("/api/v1/cart", ct)).StatusCode, status => status == System.Net.HttpStatusCode.OK,
            Wait, "the shopper's cart served again");

        async Task<SloReport> SloAsync() => await (await admin.GetAsync("/api/ops/slo", ct)).ReadAsync<SloReport>();
    }
}
