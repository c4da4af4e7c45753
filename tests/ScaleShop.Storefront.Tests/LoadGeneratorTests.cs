using ScaleShop.Data;
using ScaleShop.Load;

namespace ScaleShop.Storefront.Tests;

/// <summary>The load generator against the real storefront: every journey, real sign-ins of seeded users, real orders.</summary>
public sealed class LoadGeneratorTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task A_short_run_of_every_journey_signs_in_seeded_users_and_places_real_orders_without_errors()
    {
        using var client = app.Anonymous();
        var profile = new LoadProfile
        {
            BaseUrl = client.BaseAddress!,
            Schedule = new SteadySchedule(30, TimeSpan.FromSeconds(3)),
            Mix = new JourneyMix(0.4, 0.2, 0.2, 0.2),
            Users = StorefrontApp.SeededUsers,
            ActiveSessions = 10,
            Products = StorefrontApp.SeededProducts,
            Categories = StorefrontApp.SeededCategories,
            ThinkTime = TimeSpan.FromMilliseconds(20),
        };

        var run = await new LoadEngine(profile).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.True(run.ErrorsByKind.Count == 0, string.Join("; ", run.FirstErrors.Values));
        foreach (var journey in new[] { JourneyKind.Browse, JourneyKind.Search, JourneyKind.Cart, JourneyKind.Checkout })
        {
            Assert.True(run.Totals.Single(t => t.Journey == journey).Latency.Count > 0, $"no {journey} requests");
        }

        Assert.Equal(0, run.Totals.Single(t => t.Journey == JourneyKind.Endpoint).Latency.Count);
        long orders = 0;
        foreach (var physical in app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabases)
        {
            orders += (await app.QueryShardAsync(physical, "SELECT count(*) FROM orders")).Single();
        }

        // Each checkout journey that got this far placed exactly one order (a request needs a cart line and a
        // sign-in first); the mix started about 18 of them.
        Assert.InRange(orders, 1, run.JourneysStarted);
    }
}
