using System.Collections.Concurrent;
using System.Net;
using ScaleShop.Storefront.Messaging;
using ScaleShop.Storefront.Orders.Settlement;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// The storefront as a real process, killed (SIGKILL, no shutdown) in the middle of concurrent checkouts, then
/// started again over the same databases: every order a client was told about exists once and ends confirmed,
/// nobody is charged twice, stock adds up once reconciliation has run, and the projections counted each order once.
/// </summary>
public sealed class ProcessKillTests : RealProcessTest
{
    private const int Buyers = 8;
    private const int Products = 4;
    private const int StockPerProduct = 5000;
    private static readonly TimeSpan LoadBeforeKill = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killing_the_process_mid_checkout_loses_and_doubles_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        // Slow enough that a kill lands while orders are between "written" and "paid".
        await Payments.SetFaultsAsync(latencyMs: 40);
        long[] products = [.. Enumerable.Range(1, Products).Select(i => (long)i)];
        // Each order also buys a partner of its product, so that it makes co-purchase pairs as well.
        long[] partners = [.. products.Select(p => p + Products)];
        var attempts = new ConcurrentDictionary<string, (int Buyer, long ProductId)>();
        var acknowledged = new ConcurrentDictionary<string, bool>();

        var first = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            ["Orders__ClaimLease"] = "00:00:01",
            ["Orders__SettleLease"] = "00:00:01.500",
            ["Orders__InlinePaymentBudget"] = "00:00:00.500",
        }, ct);
        List<HttpClient> buyers;
        try
        {
            using var admin = await first.SignedInAsync(StorefrontApp.AdminEmail, StorefrontApp.AdminPassword, ct);
            foreach (var productId in products.Concat(partners))
            {
                (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stock = StockPerProduct }, ct)).EnsureSuccessStatusCode();
            }

            buyers = [.. await Task.WhenAll(Enumerable.Range(0, Buyers).Select(i => first.SignedInAsync($"user{i}@seed.scaleshop.test", "scaleshop-demo", ct)))];
            using var stop = new CancellationTokenSource(LoadBeforeKill);
            await Task.WhenAll(buyers.Select((buyer, index) => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested && !first.HasExited)
                {
                    var key = Guid.NewGuid().ToString("N");
                    var productId = products[Random.Shared.Next(products.Length)];
                    attempts[key] = (index, productId);
                    if (await TryPlaceAsync(buyer, key, productId, CancellationToken.None) is true)
                    {
                        acknowledged[key] = true;
                    }

                    if (acknowledged.Count > Buyers * 4 && Random.Shared.Next(Buyers * 2) == 0)
                    {
                        first.Kill(); // mid-flight: other buyers' requests are on the wire right now
                    }
                }
            }, CancellationToken.None)));
        }
        finally
        {
            first.Kill();
        }

        var beforeKill = acknowledged.Count;
        Assert.True(beforeKill > 0, "No order was acknowledged before the kill: the test proved nothing.");

        // Second life: the same databases, the same provider, in-process so the test can look inside.
        await using var second = new StorefrontApp(DataDirectory, payments: Payments, recommendations: Recommendations);
        await second.InitializeAsync();
        await Payments.SetFaultsAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, Buyers).Select(i => second.SignedInAsync(EmailOf(i), "scaleshop-demo")));
        foreach (var (key, (buyer, productId)) in attempts)
        {
            var client = clients[buyer];
            var deadline = DateTimeOffset.UtcNow + Patience;
            bool? answered;
            while ((answered = await TryPlaceAsync(client, key, productId, ct)) is not true)
            {
                Assert.True(answered is null && DateTimeOffset.UtcNow < deadline, $"Key {key} got a final refusal or no answer in {Patience}.");
                await Task.Delay(200, ct);
            }

            acknowledged[key] = true;
        }

        var reconciliation = second.Service<OrderReconciliation>();
        var rest = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.6), ct);
            var report = await reconciliation.RunOnceAsync(ct);
            await second.Service<OutboxDispatcher>().DrainAsync(TimeSpan.FromSeconds(10), ct);
            var unsettled = 0L;
            foreach (var physical in second.Service<ScaleShop.Data.IDatabaseRouter>().ShardMap.PhysicalDatabases)
            {
                unsettled += (await second.QueryShardAsync(physical, "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment' OR (status = 'cancelled' AND compensated = 0)"))[0];
            }

            if (unsettled == 0 && (await second.QueryCatalogAsync("SELECT COUNT(*) FROM stock_reservations"))[0] == 0 && report.CompensationsStillOpen == 0)
            {
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < rest, $"Not at rest after {Patience}: {unsettled} orders unsettled; {report}");
        }

        // Every key a client was answered for is exactly one order, confirmed (the provider was healthy).
        var orders = new List<OrderDto>();
        foreach (var client in clients)
        {
            orders.AddRange((await (await client.GetAsync("/api/v1/orders?limit=100", ct)).ReadAsync<PageDto<OrderDto>>()).Items);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{attempts.Count} checkouts sent, {beforeKill} acknowledged before the kill, {attempts.Count - beforeKill} retried after it; {orders.Count} orders at rest");
        Assert.Equal(acknowledged.Count, orders.Count);
        Assert.Equal(orders.Count, orders.Select(o => o.Id).Distinct().Count());
        Assert.All(orders, o => Assert.Equal("confirmed", o.Status));
        foreach (var order in orders)
        {
            var payments = await Payments.PaymentsForAsync(order.Id);
            Assert.Equal((long)(order.Total * 100), payments.Sum(p => p.CapturedCents - p.RefundedCents));
            Assert.Single(payments, p => p.CapturedCents > 0);
        }

        foreach (var productId in products.Concat(partners))
        {
            var sold = orders.SelectMany(o => o.Items).Where(i => i.ProductId == productId).Sum(i => i.Quantity);
            Assert.Equal(StockPerProduct, await second.StockOfAsync(productId) + sold);
            // The projection lags on JetStream: wait until it shows the sales, never more.
            var projectedDeadline = DateTimeOffset.UtcNow + Patience;
            long projected;
            while ((projected = (await second.QueryCatalogAsync("SELECT COALESCE(SUM(units), 0) FROM product_popularity WHERE product_id = @productId", new { productId }))[0]) != sold)
            {
                Assert.True(projected < sold && DateTimeOffset.UtcNow < projectedDeadline, $"Product {productId}: {projected} units projected, {sold} sold.");
                await Task.Delay(200, ct);
            }
        }

        // The co-purchase pairs too: each confirmed order once (two products: one pair each way).
        var pairs = StorefrontApp.CoPurchasesImplied(orders, [.. products, .. partners]);
        Assert.Equal(2L * orders.Count, pairs);
        var pairsDeadline = DateTimeOffset.UtcNow + Patience;
        long projectedPairs;
        while ((projectedPairs = await second.CoPurchasesOfAsync(products.Concat(partners))) != pairs)
        {
            Assert.True(projectedPairs < pairs && DateTimeOffset.UtcNow < pairsDeadline, $"{projectedPairs} co-purchases projected, {pairs} implied by the orders.");
            await Task.Delay(200, ct);
        }

        foreach (var client in clients.Concat(buyers))
        {
            client.Dispose();
        }
    }

    private static string EmailOf(int buyer) => $"user{buyer}@seed.scaleshop.test";

    /// <summary>True: acknowledged (201/202); null: no answer or "in progress" (retry); false: refused for good.</summary>
    private static async Task<bool?> TryPlaceAsync(HttpClient buyer, string key, long productId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await buyer.PlaceOrderAsync(key, (productId, 1), (productId + Products, 1));
            return response.StatusCode switch
            {
                HttpStatusCode.Created or HttpStatusCode.Accepted => true,
                HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable or >= HttpStatusCode.InternalServerError => null,
                _ => false,
            };
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null; // the connection died with the process
        }
    }
}
