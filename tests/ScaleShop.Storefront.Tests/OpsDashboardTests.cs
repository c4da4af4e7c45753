using System.Net;
using System.Text.Json;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>The aggregate behind the dashboard: admin only, and what it reports about a running instance.</summary>
public sealed class OpsDashboardApiTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task The_dashboard_data_is_for_administrators_only()
    {
        using var anonymous = app.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/ops/dashboard", TestContext.Current.CancellationToken)).StatusCode);
        var (user, _, _) = await app.NewUserAsync();
        using (user)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/api/ops/dashboard", TestContext.Current.CancellationToken)).StatusCode);
        }
    }

    [Fact]
    public async Task It_reports_every_database_with_its_shards_breakers_cache_lookups_and_faults()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = app.Anonymous();
        var product = StorefrontApp.TakeProductId();
        for (var i = 0; i < 3; i++)
        {
            (await anonymous.GetAsync($"/api/v1/products/{product}", ct)).EnsureSuccessStatusCode();
        }

        using var admin = await app.AdminAsync();
        using var view = JsonDocument.Parse(await admin.GetStringAsync("/api/ops/dashboard", ct));
        var root = view.RootElement;

        var databases = root.GetProperty("databases").EnumerateArray().ToList();
        Assert.Equal(["catalog", "shard0", "shard1", "shard2", "shard3"], databases.Select(d => d.GetProperty("name").GetString()));
        Assert.All(databases, d => Assert.True(d.GetProperty("up").GetBoolean(), $"{d}"));
        Assert.Equal(64, databases.Sum(d => d.GetProperty("logicalShards").GetInt32()));
        Assert.Equal("Closed", databases[1].GetProperty("circuit").GetString());
        if (TestStorage.IsPostgres)
        {
            // The topology replicates primary A: the catalog, shard0 and shard1 each have a replica.
            Assert.Single(databases[0].GetProperty("replicas").EnumerateArray());
        }

        var cache = root.GetProperty("cache");
        Assert.True(cache.GetProperty("hits").GetInt64() >= 2, $"the second and third reads of product {product} were cache hits: {cache}");
        Assert.True(cache.GetProperty("misses").GetInt64() >= 1, $"{cache}");
        Assert.Contains("db.catalog", root.GetProperty("circuits").EnumerateObject().Select(c => c.Name));
        Assert.False(root.GetProperty("chaos").GetProperty("enabled").GetBoolean());
        Assert.True(root.GetProperty("messaging").GetProperty("outboxPending").GetInt64() >= 0);
        Assert.True(root.GetProperty("page").GetProperty("refreshSeconds").GetDouble() > 0);
    }
}

/// <summary>
/// The operations page in headless Chromium against a storefront process that has served real traffic: it signs
/// in, charts the instance's own figures, refreshes itself, logs no error, and leaves a screenshot.
/// </summary>
public sealed class OpsDashboardPageTests : RealProcessTest
{
    // A laptop screen.
    private const int ViewportWidth = 1440;
    private const int ViewportHeight = 900;
    private static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] Journeys = ["browse", "search", "cart", "checkout", "recommendations"];

    [Fact]
    public async Task The_dashboard_signs_in_and_charts_the_instance_live_without_errors_and_saves_a_screenshot()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(Chromium.FindExecutable() is not null,
            "Chromium is not installed: this test drives the Debian package 'chromium' (apt-get install -y chromium; ./test.sh installs it), or set SCALESHOP_CHROMIUM.");
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            // Several refreshes within the test, not within minutes.
            ["OpsDashboard__RefreshInterval"] = "00:00:01",
        }, ct);
        try
        {
            await MakeTrafficAsync(storefront, ct);

            await using var chromium = await Chromium.LaunchAsync(ct);
            var page = await chromium.NewPageAsync(ViewportWidth, ViewportHeight, ct);
            await page.NavigateAsync(new Uri(storefront.Address, "/ops"), PageTimeout, ct);
            await page.WaitForAsync("!document.getElementById('sign-in').hidden", PageTimeout, "the sign-in form", ct);
            // A marker a reload would lose: the page must update itself in place.
            await page.EvaluateAsync("window.notReloaded = true", ct);

            var passed = false;
            try
            {
                await page.TypeAsync("#email", StorefrontApp.AdminEmail, ct);
                await page.TypeAsync("#password", StorefrontApp.AdminPassword, ct);
                await page.EvaluateAsync("document.querySelector('#sign-in-form button[type=submit]').click()", ct);
                await page.WaitForAsync("window.opsDashboard.refreshCount >= 1", PageTimeout, "the first refresh", ct);

                // The throughput chart draws every journey the traffic went through: points, and not only idle ones.
                var points = await page.EvaluateAsync("window.opsDashboard.charts.throughput.pointsPerSeries()", ct);
                var peaks = await page.EvaluateAsync("window.opsDashboard.charts.throughput.maxPerSeries()", ct);
                Assert.All(Journeys, journey =>
                {
                    Assert.True(points.TryGetProperty(journey, out var count) && count.GetInt32() > 0, $"the throughput chart has no point for {journey}: {points}");
                    Assert.True(peaks.GetProperty(journey).GetDouble() > 0, $"the throughput chart shows no request of {journey}: {peaks}");
                });
                var latencies = await page.EvaluateAsync("window.opsDashboard.charts.p99.pointsPerSeries()", ct);
                Assert.All(Journeys, journey => Assert.True(latencies.GetProperty(journey).GetInt32() > 0, $"the p99 chart has no point for {journey}: {latencies}"));

                // Live: traffic after the page loaded shows up in the cache chart at a later refresh.
                var refreshes = (await page.EvaluateAsync("window.opsDashboard.refreshCount", ct)).GetInt32();
                await BrowseAsync(storefront, ct);
                await page.WaitForAsync($"window.opsDashboard.refreshCount > {refreshes + 1} && window.opsDashboard.charts.cache.pointsPerSeries()['hit ratio'] > 0",
                    PageTimeout, "the cache hit ratio to be charted", ct);
                Assert.True((await page.EvaluateAsync("window.notReloaded === true", ct)).GetBoolean(), "the page reloaded instead of updating itself");

                Assert.Equal("[]", (await page.EvaluateAsync("window.opsDashboard.lastRefresh.errors", ct)).GetRawText());
                Assert.Equal(5, (await page.EvaluateAsync("document.querySelectorAll('#databases tbody tr').length", ct)).GetInt32());
                Assert.True((await page.EvaluateAsync("document.querySelectorAll('#circuits tbody tr').length", ct)).GetInt32() > 0, "no circuit breaker listed");
                Assert.True((await page.EvaluateAsync("document.querySelectorAll('#slo tbody tr').length", ct)).GetInt32() > 0, "no SLO listed");
                Assert.Equal("No incident open", (await page.EvaluateAsync("document.querySelector('#incidents').textContent", ct)).GetString());
                Assert.True(page.Problems.Count == 0, "The page logged errors: " + string.Join(Environment.NewLine, page.Problems));
                passed = true;
            }
            finally
            {
                // The page as the assertions saw it; on a failure too, which is when it is most wanted (but never hiding that failure).
                try
                {
                    await TestArtifacts.SaveAsync($"ops-dashboard-{TestStorage.Provider.ToLowerInvariant()}{(passed ? "" : "-failed")}.png",
                        await page.ScreenshotAsync(ct), "image/png", ct);
                }
                catch (Exception exception) when (!passed)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"No screenshot of the failure: {exception.Message}");
                }
            }
        }
        finally
        {
            storefront.Kill();
        }
    }

    /// <summary>Every journey the dashboard charts, as a shopper walks them.</summary>
    private static async Task MakeTrafficAsync(StorefrontProcess storefront, CancellationToken ct)
    {
        await BrowseAsync(storefront, ct);
        using var anonymous = new HttpClient { BaseAddress = storefront.Address };
        foreach (var query in new[] { "wireless", "headphones", "lamp" })
        {
            (await anonymous.GetAsync($"/api/v1/search?q={query}", ct)).EnsureSuccessStatusCode();
        }

        (await anonymous.GetAsync("/api/v1/recommendations?productId=3", ct)).EnsureSuccessStatusCode();
        using var buyer = await storefront.SignedInAsync("user1@seed.scaleshop.test", "scaleshop-demo", ct);
        (await buyer.PutAsJsonAsync("/api/v1/cart/items/5", new { quantity = 1 }, ct)).EnsureSuccessStatusCode();
        (await buyer.GetAsync("/api/v1/cart", ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Created, (await buyer.CheckoutAsync(Guid.NewGuid().ToString("N"))).StatusCode);
        (await buyer.GetAsync("/api/v1/recommendations", ct)).EnsureSuccessStatusCode();
    }

    private static async Task BrowseAsync(StorefrontProcess storefront, CancellationToken ct)
    {
        using var anonymous = new HttpClient { BaseAddress = storefront.Address };
        (await anonymous.GetAsync("/api/v1/categories", ct)).EnsureSuccessStatusCode();
        (await anonymous.GetAsync("/api/v1/products?categoryId=1&limit=10", ct)).EnsureSuccessStatusCode();
        foreach (var product in new[] { 1, 2, 3, 1, 2, 3 })
        {
            (await anonymous.GetAsync($"/api/v1/products/{product}", ct)).EnsureSuccessStatusCode();
        }
    }
}
