using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Tests;

public sealed class ShardingTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    private ShardMap Map => app.Service<IDatabaseRouter>().ShardMap;

    [Fact]
    public async Task The_default_layout_is_64_logical_shards_on_4_physical_databases_kept_in_the_catalog()
    {
        Assert.Equal(64, Map.LogicalShardCount);
        Assert.Equal(["shard0", "shard1", "shard2", "shard3"], Map.PhysicalDatabases);
        var (stored, moves) = await app.Service<ShardMapStore>().ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Map.Assignments, stored.Assignments);
        Assert.Empty(moves);
    }

    [Fact]
    public async Task Seeded_users_are_spread_over_every_physical_database_and_sit_where_their_id_routes()
    {
        var total = 0L;
        var logicalShards = new HashSet<int>();
        foreach (var physical in Map.PhysicalDatabases)
        {
            var ids = await app.QueryShardAsync(physical, "SELECT id FROM accounts");
            logicalShards.UnionWith(ids.Select(id => new ShardedId(id).LogicalShard));
            Assert.NotEmpty(ids);
            Assert.All(ids, id => Assert.Equal(physical, Map.PhysicalDatabaseOf(new ShardedId(id).LogicalShard)));
            total += ids.Count;
        }

        Assert.True(total >= StorefrontApp.SeededUsers);
        Assert.True(logicalShards.Count > 48, $"Only {logicalShards.Count} of 64 logical shards hold users.");
    }

    [Fact]
    public async Task A_users_account_cart_orders_and_keys_live_only_in_their_shard()
    {
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        Assert.True(ShardedId.TryParse(userId, out var id));
        var home = Map.PhysicalDatabaseOf(id.LogicalShard);
        await client.PutAsJsonAsync($"/api/v1/cart/items/{StorefrontApp.TakeProductId()}", new { quantity = 1 }, TestContext.Current.CancellationToken);
        (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).EnsureSuccessStatusCode();

        foreach (var physical in Map.PhysicalDatabases)
        {
            var rows = (await app.QueryShardAsync(physical, $"SELECT count(*) FROM accounts WHERE id = {id.Value}")).Single()
                + (await app.QueryShardAsync(physical, $"SELECT count(*) FROM cart_items WHERE user_id = {id.Value}")).Single()
                + (await app.QueryShardAsync(physical, $"SELECT count(*) FROM orders WHERE user_id = {id.Value}")).Single()
                + (await app.QueryShardAsync(physical, $"SELECT count(*) FROM idempotency_keys WHERE user_id = {id.Value}")).Single();
            Assert.Equal(physical == home ? 4 : 0, rows);
        }
    }
}
