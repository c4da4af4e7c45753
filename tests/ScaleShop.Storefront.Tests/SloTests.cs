using System.Globalization;
using System.Net;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Slo;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Tests;

/// <summary>Chaos on, so a shard can be failed on purpose and its journey's budget seen burning.</summary>
public sealed class SloApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "true"),
        // The failed shard's breaker opens; it must close soon after, for the next test's users on that shard.
        new("Resilience:Databases:BreakerBreakDuration", "00:00:01"),
    ];
}

/// <summary>
/// Every request of a journey is measured as the shopper saw it, and this instance judges its journeys against
/// the objectives file: budgets, burn rates and the workbook's alerts at /api/ops/slo, recent traffic at
/// /api/ops/journeys.
/// </summary>
public sealed class SloTests(SloApp app) : IClassFixture<SloApp>
{
    [Fact]
    public async Task Server_failures_burn_their_journeys_budget_and_page_client_errors_do_not()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = await app.AdminAsync();
        var (shopper, id, _) = await app.NewUserAsync();
        using var _ = shopper;
        var before = await SloAsync(admin);

        using var anonymous = app.Anonymous();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/v1/products/{StorefrontApp.TakeProductId()}", ct)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/api/v1/products/987654321", ct)).StatusCode); // the caller's mistake

        // The shopper's shard fails: their cart answers 503, a failure of the cart journey.
        var map = app.Service<IDatabaseRouter>().ShardMap;
        var home = map.PhysicalDatabaseOf(new ShardedId(long.Parse(id, CultureInfo.InvariantCulture)).LogicalShard);
        const int failures = 12; // more than the objectives' minimumRequests (10): enough to page
        try
        {
            (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{home}", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
            for (var i = 0; i < failures; i++)
            {
                await (await shopper.GetAsync("/api/v1/cart", ct)).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            }
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }

        var after = await SloAsync(admin);
        await Eventually.ValueAsync(async () => (await shopper.GetAsync("/api/v1/cart", ct)).StatusCode, status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the shard back once the fault is lifted");

        Assert.Equal(["browse", "search", "cart", "checkout", "recommendations"], after.Journeys.Select(j => j.Journey));
        var browse = Sli(after, "browse", SloObjectives.AvailabilitySli);
        Assert.Equal(4, browse.Requests - Sli(before, "browse", SloObjectives.AvailabilitySli).Requests);
        Assert.Equal(Sli(before, "browse", SloObjectives.AvailabilitySli).Bad, browse.Bad);
        var cart = Sli(after, "cart", SloObjectives.AvailabilitySli);
        Assert.Equal(failures, cart.Bad - Sli(before, "cart", SloObjectives.AvailabilitySli).Bad);
        Assert.True(cart.BudgetRemaining < 0, $"a dozen failures in a young instance's few requests overspend a 99.9% budget: {cart.BudgetRemaining}");

        // All of the cart's recent requests failed: both windows of the fast-burn alert are far past 14.4x.
        var firing = Assert.Single(after.Firing, f => f is { Journey: "cart", Sli: SloObjectives.AvailabilitySli, Alert: "fast-burn" });
        Assert.Equal("page", firing.Severity);
        Assert.True(firing.BurnRateShort > 14.4);
        Assert.Equal(["fast-burn", "slow-burn", "budget-drain"], cart.Alerts.Select(a => a.Name));
        Assert.Equal(0.999, cart.Objective);
        Assert.Equal(100, Sli(after, "browse", SloObjectives.LatencySli).ThresholdMs);

        var series = await (await admin.GetAsync("/api/ops/journeys?minutes=5", ct)).ReadAsync<JourneySeriesResponse>();
        Assert.True(series.BucketSeconds > 0);
        var cartPoints = Assert.Single(series.Journeys, j => j.Journey == "cart").Points;
        Assert.True(cartPoints.Sum(p => p.Errors) >= failures);
        var browsePoints = Assert.Single(series.Journeys, j => j.Journey == "browse").Points;
        Assert.True(browsePoints.Sum(p => p.Requests) >= 4);
        Assert.Contains(browsePoints, p => p is { Requests: > 0, P50Ms: > 0, P99Ms: > 0 });
    }

    [Fact]
    public async Task Operations_endpoints_are_for_admins_and_name_a_bad_parameter()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = app.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/ops/slo", ct)).StatusCode);
        var (shopper, _, _) = await app.NewUserAsync();
        using var _ = shopper;
        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.GetAsync("/api/ops/journeys", ct)).StatusCode);
        using var admin = await app.AdminAsync();
        await (await admin.GetAsync("/api/ops/journeys?minutes=0", ct)).AssertFieldErrorAsync("minutes");
        await (await admin.GetAsync("/api/ops/journeys?minutes=100000", ct)).AssertFieldErrorAsync("minutes");
    }

    [Fact]
    public void An_objectives_file_with_a_mistake_stops_the_start_naming_the_field()
    {
        var bad = Path.Combine(app.DataDirectory, "bad-objectives.json");
        File.WriteAllText(bad, """{ "journeys": { "browse": { "availability": 99.9, "latency": { "thresholdMs": 100, "objective": 0.99 } } } }""");
        var result = new SloOptionsValidator().Validate(null, new SloOptions { ObjectivesPath = bad });
        Assert.True(result.Failed);
        Assert.Contains("journeys.browse.availability", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new SloOptionsValidator().Validate(null, new SloOptions()).Succeeded); // the shipped file, beside the binary
    }

    private static async Task<SloReport> SloAsync(HttpClient admin) =>
        await (await admin.GetAsync("/api/ops/slo", TestContext.Current.CancellationToken)).ReadAsync<SloReport>();

    private static SliReport Sli(SloReport report, string journey, string sli) =>
        report.Journeys.Single(j => j.Journey == journey).Slis.Single(s => s.Sli == sli);
}
