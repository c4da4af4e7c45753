using System.Net;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;

namespace ScaleShop.Storefront.Tests;

public sealed class OrdersTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Placing_an_order_returns_201_with_lines_total_and_a_shard_carrying_id()
    {
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var product = await client.GetProductAsync(productId);
        var stockBefore = await app.StockOfAsync(productId);

        var response = await client.PlaceOrderAsync(NewKey(), (productId, 3));
        var order = await response.ReadAsync<OrderDto>(HttpStatusCode.Created);

        Assert.Equal("confirmed", order.Status);
        Assert.Equal([new OrderItemDto(productId, 3, product.Price)], order.Items);
        Assert.Equal(product.Price * 3, order.Total);
        Assert.Equal("USD", order.Currency);
        Assert.True(ShardedId.TryParse(order.Id, out var orderId));
        Assert.True(ShardedId.TryParse(userId, out var user));
        Assert.Equal(user.LogicalShard, orderId.LogicalShard);
        Assert.Equal($"/api/v1/orders/{order.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(stockBefore - 3, await app.StockOfAsync(productId));

        var fetched = await (await client.GetAsync($"/api/v1/orders/{order.Id}", TestContext.Current.CancellationToken)).ReadAsync<OrderDto>();
        Assert.Equal(order.Id, fetched.Id);
        Assert.Equal(order.Total, fetched.Total);
    }

    [Fact]
    public async Task An_order_without_an_Idempotency_Key_is_a_400_naming_the_header()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        await (await client.PlaceOrderAsync(null, (StorefrontApp.TakeProductId(), 1))).AssertFieldErrorAsync("Idempotency-Key");
        var orders = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Empty(orders.Items);
    }

    [Fact]
    public async Task Repeating_a_key_with_the_same_body_returns_the_same_order_and_status()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var key = NewKey();
        var stockBefore = await app.StockOfAsync(productId);

        var first = await (await client.PlaceOrderAsync(key, (productId, 2))).ReadAsync<OrderDto>(HttpStatusCode.Created);
        var replayResponse = await client.PlaceOrderAsync(key, (productId, 2));
        var replay = await replayResponse.ReadAsync<OrderDto>(HttpStatusCode.Created);

        Assert.Equal(first.Id, replay.Id);
        Assert.Equal(first.Total, replay.Total);
        Assert.True(replayResponse.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(stockBefore - 2, await app.StockOfAsync(productId));
        var orders = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Single(orders.Items);
    }

    [Fact]
    public async Task Reusing_a_key_for_another_body_is_a_422()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var key = NewKey();
        (await client.PlaceOrderAsync(key, (productId, 1))).EnsureSuccessStatusCode();
        var problem = await (await client.PlaceOrderAsync(key, (productId, 2))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Idempotency-Key", problem.Field);
    }

    [Fact]
    public async Task The_same_key_sent_concurrently_creates_exactly_one_order()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var key = NewKey();
        var stockBefore = await app.StockOfAsync(productId);

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PlaceOrderAsync(key, (productId, 1))));
        // The original answers 201 once paid; a duplicate that arrives while it is paying replays the order as it
        // is at that moment, pending_payment (202). Never a second order.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Accepted }));
        var orders = await Task.WhenAll(responses.Select(r => r.ReadAsync<OrderDto>(r.StatusCode)));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Created);

        Assert.Single(orders.Select(o => o.Id).Distinct());
        Assert.Equal(stockBefore - 1, await app.StockOfAsync(productId));
        var list = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Single(list.Items);
    }

    [Fact]
    public async Task Concurrent_orders_against_stock_K_give_exactly_K_orders_and_never_negative_stock()
    {
        const int stock = 5;
        const int buyers = 14;
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, stock);
        var clients = await Task.WhenAll(Enumerable.Range(0, buyers).Select(_ => app.NewUserAsync()));

        var responses = await Task.WhenAll(clients.Select(c => c.Client.PlaceOrderAsync(NewKey(), (productId, 1))));

        Assert.Equal(stock, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var conflicts = responses.Where(r => r.StatusCode == HttpStatusCode.Conflict).ToList();
        Assert.Equal(buyers - stock, conflicts.Count);
        foreach (var conflict in conflicts)
        {
            Assert.Equal(productId, (await conflict.AssertProblemAsync(HttpStatusCode.Conflict)).ProductId);
        }

        Assert.Equal(0, await app.StockOfAsync(productId));
        foreach (var (client, _, _) in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task An_order_is_all_or_nothing_when_one_line_is_short()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var plenty = StorefrontApp.TakeProductId();
        var scarce = StorefrontApp.TakeProductId();
        await app.SetStockAsync(plenty, 50);
        await app.SetStockAsync(scarce, 1);

        var problem = await (await client.PlaceOrderAsync(NewKey(), (plenty, 3), (scarce, 2))).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(scarce, problem.ProductId);
        Assert.Equal(50, await app.StockOfAsync(plenty));
        Assert.Equal(1, await app.StockOfAsync(scarce));
        var orders = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Empty(orders.Items);
    }

    [Fact]
    public async Task When_writing_the_order_fails_after_stock_was_taken_the_stock_is_given_back()
    {
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, 10);
        var key = NewKey();
        var shard = ShardOf(userId);
        var trigger = $"fail_orders_{Guid.NewGuid():N}";
        // A real failure inside the user's shard database: any insert of this user's order aborts.
        await app.ExecuteOnShardAsync(shard, ScaleShop.Testing.TestStorage.IsPostgres
            ? $"""
              CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
              CREATE TRIGGER {trigger} BEFORE INSERT ON orders FOR EACH ROW WHEN (NEW.user_id = {userId}) EXECUTE FUNCTION {trigger}();
              """
            : $"CREATE TRIGGER {trigger} BEFORE INSERT ON orders WHEN new.user_id = {userId} BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
        try
        {
            var failed = await client.PlaceOrderAsync(key, (productId, 4));
            await failed.AssertProblemAsync(HttpStatusCode.InternalServerError);
            Assert.Equal(10, await app.StockOfAsync(productId));
        }
        finally
        {
            await app.ExecuteOnShardAsync(shard, ScaleShop.Testing.TestStorage.IsPostgres
                ? $"DROP TRIGGER {trigger} ON orders; DROP FUNCTION {trigger}();"
                : $"DROP TRIGGER {trigger};");
        }

        // Nothing was half-written: the same key now places the order normally.
        var order = await (await client.PlaceOrderAsync(key, (productId, 4))).ReadAsync<OrderDto>(HttpStatusCode.Created);
        Assert.Equal(6, await app.StockOfAsync(productId));
        var orders = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Equal([order.Id], orders.Items.Select(o => o.Id));
    }

    [Fact]
    public async Task Stock_taken_by_a_request_that_died_is_given_back_by_the_sweeper()
    {
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, 10);
        var user = ShardedId.TryParse(userId, out var id) ? id : throw new InvalidOperationException();
        var key = await app.LeaveDeadRequestAsync(user, productId, 7);
        var orders = app.Service<ScaleShop.Storefront.Orders.OrderStore>();
        Assert.Equal(3, await app.StockOfAsync(productId));

        var released = await app.Service<ScaleShop.Storefront.Orders.ReservationSweeper>().SweepOnceAsync(CancellationToken.None);

        Assert.True(released >= 1);
        Assert.Equal(10, await app.StockOfAsync(productId));
        Assert.Null(await orders.GetClaimAsync(user, key, CancellationToken.None));

        // Sweeping again changes nothing: releasing is idempotent.
        await app.Service<ScaleShop.Storefront.Orders.ReservationSweeper>().SweepOnceAsync(CancellationToken.None);
        Assert.Equal(10, await app.StockOfAsync(productId));
    }

    [Fact]
    public async Task The_sweeper_keeps_the_stock_of_orders_that_were_written()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, 10);
        (await client.PlaceOrderAsync(NewKey(), (productId, 2))).EnsureSuccessStatusCode();
        // Make any leftover reservation look ancient, then sweep: a written order's stock must stay taken.
        await app.ExecuteOnCatalogAsync("UPDATE stock_reservations SET created_at = created_at - 600000;");
        await app.Service<ScaleShop.Storefront.Orders.ReservationSweeper>().SweepOnceAsync(CancellationToken.None);
        Assert.Equal(8, await app.StockOfAsync(productId));
    }

    [Fact]
    public async Task Completed_keys_are_forgotten_after_the_retention_window_and_young_ones_kept()
    {
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var oldKey = NewKey();
        var youngKey = NewKey();
        (await client.PlaceOrderAsync(oldKey, (productId, 1))).EnsureSuccessStatusCode();
        (await client.PlaceOrderAsync(youngKey, (productId, 1))).EnsureSuccessStatusCode();
        await app.ExecuteOnShardAsync(ShardOf(userId), $"UPDATE idempotency_keys SET created_at = created_at - {(long)TimeSpan.FromDays(2).TotalMilliseconds} WHERE idempotency_key = '{oldKey}';");

        var purged = await app.Service<ScaleShop.Storefront.Orders.ReservationSweeper>().PurgeExpiredKeysAsync(CancellationToken.None);

        Assert.True(purged >= 1);
        var orders = app.Service<ScaleShop.Storefront.Orders.OrderStore>();
        Assert.True(ShardedId.TryParse(userId, out var user));
        Assert.Null(await orders.GetClaimAsync(user, oldKey, CancellationToken.None));
        Assert.NotNull(await orders.GetClaimAsync(user, youngKey, CancellationToken.None));
    }

    [Fact]
    public async Task Checkout_orders_the_cart_and_empties_it_in_one_unit_of_work()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var a = StorefrontApp.TakeProductId();
        var b = StorefrontApp.TakeProductId();
        await client.PutAsJsonAsync($"/api/v1/cart/items/{a}", new { quantity = 2 }, TestContext.Current.CancellationToken);
        await client.PutAsJsonAsync($"/api/v1/cart/items/{b}", new { quantity = 1 }, TestContext.Current.CancellationToken);
        var cart = await (await client.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();

        var key = NewKey();
        var order = await (await client.CheckoutAsync(key)).ReadAsync<OrderDto>(HttpStatusCode.Created);

        Assert.Equal(cart.Total, order.Total);
        Assert.Equal([a, b], order.Items.Select(i => i.ProductId).Order());
        var after = await (await client.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Empty(after.Items);
        var replay = await (await client.CheckoutAsync(key)).ReadAsync<OrderDto>(HttpStatusCode.Created);
        Assert.Equal(order.Id, replay.Id);
    }

    [Fact]
    public async Task Checking_out_an_empty_cart_is_a_400()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        await (await client.CheckoutAsync(NewKey())).AssertFieldErrorAsync("cart");
    }

    [Fact]
    public async Task Another_users_order_is_a_404_and_so_is_a_malformed_id()
    {
        var (alice, _, _) = await app.NewUserAsync();
        var (bob, _, _) = await app.NewUserAsync();
        using var _ = alice;
        using var __ = bob;
        var order = await (await alice.PlaceOrderAsync(NewKey(), (StorefrontApp.TakeProductId(), 1))).ReadAsync<OrderDto>(HttpStatusCode.Created);

        await (await bob.GetAsync($"/api/v1/orders/{order.Id}", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync("/api/v1/orders/not-an-id", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync("/api/v1/orders/99999999999999999999", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Order_history_is_newest_first_and_pages_by_cursor()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        var placed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            placed.Add((await (await client.PlaceOrderAsync(NewKey(), (productId, 1))).ReadAsync<OrderDto>(HttpStatusCode.Created)).Id);
        }

        var first = await (await client.GetAsync("/api/v1/orders?limit=2", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        var second = await (await client.GetAsync($"/api/v1/orders?limit=2&after={first.Next}", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        var third = await (await client.GetAsync($"/api/v1/orders?limit=2&after={second.Next}", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();

        Assert.Equal(Enumerable.Reverse(placed), first.Items.Concat(second.Items).Concat(third.Items).Select(o => o.Id));
        Assert.Null(third.Next);
    }

    [Theory]
    [InlineData("{\"items\":[]}", "items")]
    [InlineData("{}", "items")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":0}]}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":-3}]}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":101}]}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":1e30}]}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":\"1\"}]}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"quantity\":1}]}", "items[0].productId")]
    [InlineData("{\"items\":[{\"productId\":-1,\"quantity\":1}]}", "items[0].productId")]
    [InlineData("{\"items\":[{\"productId\":1,\"quantity\":1},{\"productId\":1,\"quantity\":2}]}", "items[1].productId")]
    [InlineData("{\"items\":[{\"productId\":424242,\"quantity\":1}]}", "items[0].productId")]
    [InlineData("{\"items\":\"lots\"}", "items")]
    public async Task Bad_orders_name_the_field_and_write_nothing(string body, string field)
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var stockBefore = await app.StockOfAsync(1);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", NewKey());

        await (await client.SendAsync(request, TestContext.Current.CancellationToken)).AssertFieldErrorAsync(field);

        Assert.Equal(stockBefore, await app.StockOfAsync(1));
        var orders = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Empty(orders.Items);
    }

    private string ShardOf(string userId)
    {
        Assert.True(ShardedId.TryParse(userId, out var id));
        return app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabaseOf(id.LogicalShard);
    }
}
