using System.Net;
using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>Hot products: stock spread over buckets so concurrent checkouts of one product do not queue on one row.</summary>
public sealed class HotProductTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    private async Task MakeHotAsync(long productId, int stock, int buckets)
    {
        using var admin = await app.AdminAsync();
        var product = await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stock, stockBuckets = buckets }, TestContext.Current.CancellationToken))
            .ReadAsync<ProductDto>();
        Assert.Equal(stock, product.Stock);
    }

    [Fact]
    public async Task Concurrent_orders_against_a_hot_product_give_exactly_K_orders()
    {
        const int stock = 5;
        var productId = StorefrontApp.TakeProductId();
        await MakeHotAsync(productId, stock, buckets: 8);
        var buyers = await Task.WhenAll(Enumerable.Range(0, 14).Select(_ => app.NewUserAsync()));

        var responses = await Task.WhenAll(buyers.Select(b => b.Client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 1))));

        Assert.Equal(stock, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var conflict in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal(productId, (await conflict.AssertProblemAsync(HttpStatusCode.Conflict)).ProductId);
        }

        Assert.Equal(0, await app.StockOfAsync(productId));
        foreach (var (client, _, _) in buyers)
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// Races many reservations against a hot product's last units, below HTTP so the race is tight: on PostgreSQL
    /// a reservation that reached the locked path ("every bucket busy", "drain them all") while it still held a
    /// bucket it had locked and found empty (a row the free-bucket search locked and then dropped on recheck)
    /// deadlocked with a drain that held the product row. Every reservation must end reserved or short, never failed.
    /// </summary>
    [Fact]
    public async Task Reservations_racing_for_a_hot_products_last_units_all_end_reserved_or_short()
    {
        const int rounds = 20, stock = 24, buyers = 40, buckets = 8;
        var reservations = app.Service<StockReservations>();
        for (var round = 0; round < rounds; round++)
        {
            var productId = StorefrontApp.TakeProductId();
            await MakeHotAsync(productId, stock, buckets);
            var outcomes = await Task.WhenAll(Enumerable.Range(0, buyers).Select(buyer => Task.Run(() => reservations.ReserveAsync(
                Guid.NewGuid().ToString("N"), userId: buyer, Guid.NewGuid().ToString("N"), [new StockRequest(productId, 1)], TestContext.Current.CancellationToken))));

            Assert.Equal(stock, outcomes.Count(o => o is ReservationOutcome.Reserved));
            Assert.All(outcomes.Where(o => o is not ReservationOutcome.Reserved), o => Assert.IsType<ReservationOutcome.InsufficientStock>(o));
            Assert.Equal(0, await app.StockOfAsync(productId));
        }
    }

    /// <summary>
    /// A request that loses a deadlock (the database aborts its transaction to break the cycle) answers 503 with a short
    /// Retry-After, not 500, and its transaction wrote nothing; sent again, it succeeds. The other party is this test's
    /// own transaction, which takes a product's buckets and then its row: the opposite of the order every path here
    /// keeps. The request waits first, so its deadlock check runs first and it is the one aborted.
    /// </summary>
    [Fact]
    public async Task A_request_that_loses_a_deadlock_answers_503_with_retry_after_and_writes_nothing()
    {
        Assert.SkipUnless(TestStorage.IsPostgres, "PostgreSQL's row locks and deadlock detector; SQLite lets one writer in at a time");
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        await MakeHotAsync(productId, stock: 40, buckets: 4);
        using var admin = await app.AdminAsync();
        var databases = app.Service<IDatabaseRouter>();
        await using var other = await databases.OpenCatalogAsync(DataIntent.Write, ct);
        await using (var transaction = await other.BeginTransactionAsync(ct))
        {
            await other.QueryAsync<long>(new CommandDefinition("SELECT bucket FROM stock_buckets WHERE product_id = @productId FOR UPDATE", new { productId }, transaction, cancellationToken: ct));
            var update = admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stock = 99 }, ct); // product row, then its buckets: waits
            await using (var observer = await databases.OpenCatalogAsync(DataIntent.Write, ct))
            {
                while (await observer.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
                {
                    Assert.False(update.IsCompleted, "the update did not wait for the buckets this test holds");
                    await Task.Delay(10, ct);
                }
            }

            await other.ExecuteAsync(new CommandDefinition("UPDATE products SET stock = stock WHERE id = @productId", new { productId }, transaction, cancellationToken: ct));
            using var response = await update;

            var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Conflict with a concurrent request", problem.Title);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            await transaction.RollbackAsync(ct);
        }

        Assert.Equal(40, await app.StockOfAsync(productId));
        var retried = await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stock = 99 }, ct)).ReadAsync<ProductDto>();
        Assert.Equal(99, retried.Stock);
    }

    [Fact]
    public async Task An_order_larger_than_any_bucket_takes_from_several_and_a_short_one_takes_nothing()
    {
        var productId = StorefrontApp.TakeProductId();
        await MakeHotAsync(productId, stock: 8, buckets: 8); // one unit per bucket
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;

        await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 3))).ReadAsync<OrderDto>(HttpStatusCode.Created);
        Assert.Equal(5, await app.StockOfAsync(productId));

        var shortage = await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 6))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(productId, shortage.ProductId);
        Assert.Equal(5, await app.StockOfAsync(productId));
    }

    [Fact]
    public async Task Stock_a_dead_request_took_from_a_bucket_goes_back_to_it()
    {
        var productId = StorefrontApp.TakeProductId();
        await MakeHotAsync(productId, stock: 40, buckets: 4);
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        Assert.True(ShardedId.TryParse(userId, out var user));
        await app.LeaveDeadRequestAsync(user, productId, 7);
        Assert.Equal(33, await app.StockOfAsync(productId));

        await app.Service<ScaleShop.Storefront.Orders.ReservationSweeper>().SweepOnceAsync(CancellationToken.None);

        Assert.Equal(40, await app.StockOfAsync(productId));
    }

    [Fact]
    public async Task Setting_zero_buckets_merges_the_stock_back_into_one_row()
    {
        var productId = StorefrontApp.TakeProductId();
        await MakeHotAsync(productId, stock: 30, buckets: 6);
        using var admin = await app.AdminAsync();
        var merged = await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stockBuckets = 0 }, TestContext.Current.CancellationToken)).ReadAsync<ProductDto>();
        Assert.Equal(30, merged.Stock);
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 30))).ReadAsync<OrderDto>(HttpStatusCode.Created);
        Assert.Equal(0, await app.StockOfAsync(productId));
    }
}
