using ScaleShop.Load.Capacity;

namespace ScaleShop.Load.Tests;

public sealed class CapacityModelTests
{
    private static LoadReport.Summary RunWithKnee(double journeysPerSecond, double requestsPerSecond, long browse, long search, long cart, long checkout) =>
        new("ramp", "ramp", "http://127.0.0.1/", DateTimeOffset.UtcNow, 100, 1000, 10, 100, 0, 100, false, journeysPerSecond,
            [],
            [
                new LoadReport.WindowSummary("warm-up", journeysPerSecond / 2, requestsPerSecond / 2, null, []),
                new LoadReport.WindowSummary("step 1", journeysPerSecond, requestsPerSecond, true,
                [
                    new("browse", browse, 0, 1, 2, 3, 4, 5), new("search", search, 0, 1, 2, 3, 4, 5),
                    new("cart", cart, 0, 1, 2, 3, 4, 5), new("checkout", checkout, 0, 1, 2, 3, 4, 5),
                ]),
                new LoadReport.WindowSummary("step 2", journeysPerSecond * 2, requestsPerSecond * 2, false, []),
            ],
            new Dictionary<string, long>());

    [Fact]
    public void Instances_cover_the_peak_at_the_target_utilisation_with_a_zone_to_spare()
    {
        // Knee: 1,000 requests/s for 400 journeys/s (2.5 requests each), 90% of them reads.
        var run = RunWithKnee(400, 1_000, browse: 700, search: 200, cart: 70, checkout: 30);
        var assumptions = new CapacityAssumptions { DailyActiveUsers = 10_000_000, PeakHourShareOfDailyUsers = 0.2, JourneysPerActiveUserPerHour = 9, Zones = 3, TargetUtilization = 0.5 };

        var plan = CapacityModel.Plan(run, assumptions);

        // 2,000,000 users × 9 / 3600 = 5,000 journeys/s → 12,500 requests/s; 500 per instance → 25; × 3/2 → 38.
        Assert.Equal(5_000, plan.Value(CapacityModel.PeakJourneys), 6);
        Assert.Equal(12_500, plan.Value(CapacityModel.PeakRequests), 6);
        Assert.Equal(38, plan.Value(CapacityModel.Instances));
        // 100 orders/s × 2 + 400 cart × 1 = 600 shard writes/s over 1,338 × 50% → 1 primary.
        Assert.Equal(1, plan.Value(CapacityModel.PhysicalShards));
        // 12,500 × 90% × 5% = 562.5 misses/s over 3,000 × 50% → 1, × 3/2 → 2 replicas (and at least one per other zone).
        Assert.Equal(2, plan.Value(CapacityModel.CatalogReplicas));
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void A_peak_of_orders_above_the_catalog_primary_is_called_out()
    {
        var run = RunWithKnee(400, 1_000, 700, 200, 70, 30);
        var flashSale = new CapacityAssumptions { DailyActiveUsers = 10_000_000, PeakHourShareOfDailyUsers = 0.5, JourneysPerActiveUserPerHour = 20, CheckoutShare = 0.1 };

        var plan = CapacityModel.Plan(run, flashSale);

        Assert.Contains(plan.Warnings, w => w.Contains("catalog primary", StringComparison.Ordinal));
        Assert.True(plan.Value(CapacityModel.PhysicalShards) > 1);
        Assert.Contains("| storefront instances |", CapacityModel.ToMarkdown(plan), StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_without_a_window_that_met_its_objectives_cannot_size_anything()
    {
        var run = RunWithKnee(400, 1_000, 700, 200, 70, 30) with { Windows = [new LoadReport.WindowSummary("step 1", 100, 250, false, [])] };
        Assert.Throws<InvalidOperationException>(() => CapacityModel.Plan(run, new CapacityAssumptions()));
    }

    [Fact]
    public void The_repository_assumptions_and_a_written_run_summary_load()
    {
        var folder = Path.Combine(Path.GetTempPath(), "scaleshop-capacity-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(folder);
            var summary = Path.Combine(folder, "summary.json");
            File.WriteAllText(summary, LoadReport.SerializeSummary(RunWithKnee(400, 1_000, 700, 200, 70, 30)));
            var plan = CapacityModel.Plan(CapacityModel.ReadRun(summary), CapacityAssumptions.Load(Path.Combine(ObjectivesTests.RepositoryRoot(), "load", "capacity.json")));
            Assert.True(plan.Value(CapacityModel.Instances) >= 3);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
