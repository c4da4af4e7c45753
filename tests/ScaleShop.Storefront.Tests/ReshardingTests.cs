using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Data.Sharding.Resharding;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>Polls the shard map often and keeps moved rows briefly, so that moves finish quickly in tests.</summary>
public class ReshardingApp : StorefrontApp
{
    public ReshardingApp()
    {
    }

    internal ReshardingApp(string dataDirectory) : base(dataDirectory)
    {
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Storage:Sharding:MapPollInterval", "00:00:00.200"),
        new("Storage:Sharding:PausedMapPollInterval", "00:00:00.020"),
        new("Storage:Sharding:Moves:SourceRetention", "00:00:00.300"),
        new("Storage:Sharding:Moves:CopyBatchRows", "50"),
    ];
}

/// <summary>An instance that never polls the shard map: it learns of a move only when a fence refuses its write.</summary>
public sealed class StaleInstanceApp(string dataDirectory) : ReshardingApp(dataDirectory)
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        base.ExtraSettings.Append(new("Storage:Sharding:MapPollInterval", "01:00:00"));
}

/// <summary>Online resharding: a logical shard moves between physical databases while the storefront takes orders.</summary>
public sealed class ReshardingTests(ReshardingApp app) : IClassFixture<ReshardingApp>
{
    private static readonly HashSet<HttpStatusCode> Acknowledged = [HttpStatusCode.OK, HttpStatusCode.Created];

    private ShardMap Map => app.Service<IDatabaseRouter>().ShardMap;

    [Fact]
    public async Task A_shard_moves_away_and_back_under_concurrent_checkouts_and_no_acknowledged_order_is_lost_or_doubled()
    {
        var ct = TestContext.Current.CancellationToken;
        const int moving = 3; // on shard0 in the initial layout
        const int neighbour = 4; // also on shard0: same source database, must not pause
        const int elsewhere = 33; // on shard2, the target database: must not pause either
        Assert.Equal("shard0", Map.PhysicalDatabaseOf(moving));
        var productId = StorefrontApp.TakeProductId();
        const int stock = 1_000_000;
        await app.SetStockAsync(productId, stock);

        var shoppers = new List<Shopper>();
        foreach (var (logical, count) in new[] { (moving, 4), (neighbour, 2), (elsewhere, 2) })
        {
            for (var i = 0; i < count; i++)
            {
                shoppers.Add(await NewShopperAsync(logical));
            }
        }

        using var delays = new ShardWriteDelays(app.Service<IMeterFactory>());
        using var stop = new CancellationTokenSource();
        var load = shoppers.Select(s => s.ShopAsync(productId, stop.Token)).ToArray();
        await WaitUntilAsync(() => shoppers.All(s => s.Orders.Count >= 2), ct);

        var mover = app.Service<ShardMover>();
        var away = await mover.MoveAsync(moving, "shard2", keepSourceRows: false, progress: null, ct);
        var ordersAfterAway = shoppers.ToDictionary(s => s, s => s.Orders.Count);
        await WaitUntilAsync(() => shoppers.All(s => s.Orders.Count >= ordersAfterAway[s] + 2), ct);
        var back = await mover.MoveAsync(moving, "shard0", keepSourceRows: false, progress: null, ct);
        var ordersAtReturn = shoppers.ToDictionary(s => s, s => s.Orders.Count);
        await WaitUntilAsync(() => shoppers.All(s => s.Orders.Count >= ordersAtReturn[s] + 2), ct);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"away: {away.RowsCopied.Values.Sum()} rows, {away.ChangesCaughtUp} changes caught up in {away.CatchUpRounds} rounds, writes paused {away.WritePause.TotalMilliseconds:F0} ms; " +
            $"back: writes paused {back.WritePause.TotalMilliseconds:F0} ms; orders acknowledged: {shoppers.Sum(s => s.Orders.Count)}");
        Assert.Equal(away.FromVersion + 1, away.ToVersion);
        Assert.Equal(away.ToVersion + 1, back.ToVersion);
        Assert.Equal("shard0", Map.PhysicalDatabaseOf(moving));
        Assert.Equal(back.ToVersion, Map.Version);
        Assert.InRange(away.Verified["accounts"].Rows, 4, long.MaxValue);
        Assert.InRange(away.Verified["orders"].Rows, 8, long.MaxValue);

        // Every acknowledged order exists exactly once, where the map now says, and nothing else does.
        foreach (var shopper in shoppers)
        {
            var physical = Map.PhysicalDatabaseOf(shopper.LogicalShard);
            var stored = await app.QueryShardAsync(physical, $"SELECT id FROM orders WHERE user_id = {shopper.UserId}");
            Assert.Equal(shopper.Orders.Values.Order(), stored.Order());
            Assert.Equal(shopper.Orders.Values.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), await ListOrdersAsync(shopper.Client, ct));
            foreach (var other in Map.PhysicalDatabases.Where(p => p != physical))
            {
                Assert.Empty(await app.QueryShardAsync(other, $"SELECT id FROM orders WHERE user_id = {shopper.UserId}"));
            }
        }

        var ordered = shoppers.Sum(s => s.Orders.Count);
        Assert.Equal(stock - ordered, await app.StockOfAsync(productId));

        // The moved rows left the target again and nothing of the shard is left in the move's bookkeeping.
        Assert.Empty(await app.QueryShardAsync("shard2", $"SELECT id FROM accounts WHERE ((id >> 10) & 4095) = {moving}"));
        Assert.Empty(await app.QueryShardAsync("shard0", $"SELECT seq FROM shard_changes WHERE logical_shard = {moving}"));
        Assert.Empty((await app.Service<ShardMapStore>().ReadAsync(ct)).Moves);

        // Only the moving shard's writes were ever held back; its neighbours on both databases never waited.
        Assert.All(delays.LogicalShards, shard => Assert.Equal(moving, shard));
        Assert.All(shoppers.Where(s => s.LogicalShard != moving), s => Assert.Equal(0, s.Retries));
    }

    [Fact]
    public async Task A_move_that_fails_while_copying_is_abandoned_and_the_shard_stays_writable_where_it_was()
    {
        var ct = TestContext.Current.CancellationToken;
        const int logical = 20; // shard1
        const string target = "shard3";
        var shopper = await NewShopperAsync(logical);
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, 100);
        await shopper.OrderOnceAsync(productId, ct);
        var versionBefore = Map.Version;

        // A real database failure on the target, mid-copy: its orders table refuses the copied rows.
        await app.ExecuteOnShardAsync(target, TestStorage.IsPostgres
            ? """
              CREATE FUNCTION refuse_copy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected copy failure'; END $$;
              CREATE TRIGGER refuse_copy BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_copy();
              """
            : "CREATE TRIGGER refuse_copy BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'injected copy failure'); END;");
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => app.Service<ShardMover>().MoveAsync(logical, target, keepSourceRows: false, progress: null, ct));
        }
        finally
        {
            await app.ExecuteOnShardAsync(target, TestStorage.IsPostgres
                ? "DROP TRIGGER refuse_copy ON orders; DROP FUNCTION refuse_copy();"
                : "DROP TRIGGER refuse_copy;");
        }

        Assert.Equal(versionBefore, Map.Version);
        Assert.Equal("shard1", Map.PhysicalDatabaseOf(logical));
        Assert.Empty((await app.Service<ShardMapStore>().ReadAsync(ct)).Moves);
        Assert.Empty(await app.QueryShardAsync(target, $"SELECT id FROM accounts WHERE ((id >> 10) & 4095) = {logical}"));
        Assert.Empty(await app.QueryShardAsync("shard1", $"SELECT logical_shard FROM shard_fences WHERE logical_shard = {logical}"));
        Assert.Empty(await app.QueryShardAsync("shard1", $"SELECT seq FROM shard_changes WHERE logical_shard = {logical}"));

        await shopper.OrderOnceAsync(productId, ct);
        Assert.Equal(2, (await app.QueryShardAsync("shard1", $"SELECT id FROM orders WHERE user_id = {shopper.UserId}")).Count);
    }

    [Fact]
    public async Task An_instance_on_an_old_map_is_refused_by_the_fence_learns_the_move_and_writes_where_the_shard_now_lives()
    {
        var ct = TestContext.Current.CancellationToken;
        const int logical = 50; // shard3
        await using var stale = new StaleInstanceApp(app.DataDirectory);
        await stale.InitializeAsync();
        var productId = StorefrontApp.TakeProductId();
        await app.SetStockAsync(productId, 100);
        var shopper = await NewShopperAsync(logical);
        using var staleClient = stale.CreateClient();
        staleClient.DefaultRequestHeaders.Authorization = shopper.Client.DefaultRequestHeaders.Authorization;
        var staleRouting = stale.Service<IDatabaseRouter>().Routing;
        var oldVersion = staleRouting.Map.Version;

        var report = await app.Service<ShardMover>().MoveAsync(logical, "shard1", keepSourceRows: true, progress: null, ct);
        Assert.Equal(oldVersion, staleRouting.Map.Version); // it has not looked

        var order = await (await staleClient.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 1))).ReadAsync<OrderDto>(HttpStatusCode.Created);

        Assert.Equal(report.ToVersion, staleRouting.Map.Version);
        Assert.Equal([long.Parse(order.Id, System.Globalization.CultureInfo.InvariantCulture)], await app.QueryShardAsync("shard1", $"SELECT id FROM orders WHERE user_id = {shopper.UserId}"));
        Assert.Empty(await app.QueryShardAsync("shard3", $"SELECT id FROM orders WHERE user_id = {shopper.UserId}"));
        Assert.Equal(["moved"], await QueryTextAsync("shard3", $"SELECT state FROM shard_fences WHERE logical_shard = {logical}"));
    }

    [Fact]
    public async Task An_admin_moves_a_shard_through_the_api_and_follows_it_to_the_end()
    {
        var ct = TestContext.Current.CancellationToken;
        const int logical = 60; // shard3
        var (user, _, _) = await app.NewUserAsync();
        using (user)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync($"/api/v1/admin/shards/{logical}/move", new { target = "shard0" }, ct)).StatusCode);
        }

        using var admin = await app.AdminAsync();
        await (await admin.PostAsJsonAsync($"/api/v1/admin/shards/{logical}/move", new { target = "Shard 0!" }, ct)).AssertFieldErrorAsync("target");
        await (await admin.PostAsJsonAsync($"/api/v1/admin/shards/{logical}/move", new { target = "shard3" }, ct)).AssertFieldErrorAsync("target");
        await (await admin.PostAsJsonAsync("/api/v1/admin/shards/4096/move", new { target = "shard0" }, ct)).AssertFieldErrorAsync("logicalShard");
        var before = await (await admin.GetAsync("/api/v1/admin/shards", ct)).ReadAsync<ShardsDto>();

        var started = await admin.PostAsJsonAsync($"/api/v1/admin/shards/{logical}/move", new { target = "shard0" }, ct);
        var status = await started.ReadAsync<MoveDto>(HttpStatusCode.Accepted);
        Assert.Equal("running", status.State);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (status.State == "running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
            status = await (await admin.GetAsync(started.Headers.Location, ct)).ReadAsync<MoveDto>();
        }

        Assert.True(status.State == "succeeded", $"The move ended {status.State}: {status.Error}");
        Assert.Equal(before.Version + 1, status.ToVersion);
        Assert.Contains(status.Steps, step => step.Text.Contains("published", StringComparison.Ordinal));
        var after = await (await admin.GetAsync("/api/v1/admin/shards", ct)).ReadAsync<ShardsDto>();
        Assert.Equal(before.Version + 1, after.Version);
        Assert.Contains(logical, after.Layout.Single(l => l.PhysicalDatabase == "shard0").LogicalShards);
        Assert.DoesNotContain(logical, after.Layout.Single(l => l.PhysicalDatabase == "shard3").LogicalShards);
        await (await admin.GetAsync("/api/v1/admin/shards/61/move", ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    private sealed record ShardsDto(int Version, List<LayoutDto> Layout);

    private sealed record LayoutDto(string PhysicalDatabase, List<int> LogicalShards);

    private sealed record MoveDto(int LogicalShard, string Target, string State, List<StepDto> Steps, int? ToVersion, double? WritePauseMs, string? Error);

    private sealed record StepDto(DateTimeOffset At, string Text);

    [Fact]
    public async Task Every_user_data_table_of_the_shard_schema_is_moved()
    {
        var sql = TestStorage.IsPostgres
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
        var tables = await QueryTextAsync("shard0", sql);
        Assert.Equal(ShardTables.All.Select(t => t.Name).Order(), tables.Where(t => !ShardTables.Bookkeeping.Contains(t)).Order());
    }

    private static async Task<List<string>> ListOrdersAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        string? after = null;
        do
        {
            var page = await client.GetFromJsonAsync<PageDto<OrderDto>>($"/api/v1/orders?limit=50{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}", cancellationToken);
            ids.AddRange(page!.Items.Select(o => o.Id));
            after = page.Next;
        }
        while (after is not null);
        return ids.Order().ToList();
    }

    [Fact]
    public async Task Every_column_of_every_user_data_table_is_copied()
    {
        // A column added by a migration but missing from ShardTables would be silently dropped by a move.
        foreach (var table in ShardTables.All)
        {
            var sql = TestStorage.IsPostgres
                ? $"SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table.Name}'"
                : $"SELECT name FROM pragma_table_info('{table.Name}')";
            Assert.Equal((await QueryTextAsync("shard0", sql)).Order(), table.Columns.Order());
            Assert.All(table.KeyColumns, key => Assert.Contains(key, table.Columns));
        }
    }

    private async Task<List<string>> QueryTextAsync(string physicalDatabase, string sql)
    {
        await using var connection = await app.Service<IDatabaseRouter>().OpenPhysicalShardAsync(physicalDatabase, DataIntent.ReadYourWrites, CancellationToken.None);
        return (await connection.QueryAsync<string>(sql)).AsList();
    }

    private async Task<Shopper> NewShopperAsync(int logicalShard)
    {
        var email = Enumerable.Range(0, 100_000).Select(i => $"mover-{i}-{Guid.NewGuid():N}@tests.scaleshop.test")
            .First(e => ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(e), Map.LogicalShardCount) == logicalShard);
        using var anonymous = app.Anonymous();
        var account = await (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "password-123", displayName = "Mover" }))
            .ReadAsync<StorefrontApp.AccountDto>(HttpStatusCode.Created);
        Assert.True(ShardedId.TryParse(account.Id, out var userId));
        Assert.Equal(logicalShard, userId.LogicalShard);
        return new Shopper(await app.SignedInAsync(email, "password-123"), userId.Value, logicalShard);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>A user who keeps filling a cart and checking it out; every checkout is retried with its key until acknowledged.</summary>
    private sealed class Shopper(HttpClient client, long userId, int logicalShard)
    {
        public HttpClient Client { get; } = client;

        public long UserId { get; } = userId;

        public int LogicalShard { get; } = logicalShard;

        /// <summary>Idempotency-Key → order id, for every acknowledged checkout.</summary>
        public ConcurrentDictionary<string, long> Orders { get; } = new();

        public int Retries { get; private set; }

        public async Task ShopAsync(long productId, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                await OrderOnceAsync(productId, CancellationToken.None);
            }
        }

        public async Task OrderOnceAsync(long productId, CancellationToken cancellationToken)
        {
            await UntilAcknowledgedAsync(() => Client.PutAsJsonAsync($"/api/v1/cart/items/{productId}", new { quantity = 1 }, cancellationToken), cancellationToken);
            var key = Guid.NewGuid().ToString("N");
            var response = await UntilAcknowledgedAsync(() => Client.CheckoutAsync(key), cancellationToken);
            var order = await response.Content.ReadFromJsonAsync<OrderDto>(cancellationToken);
            var id = long.Parse(order!.Id, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(id, Orders.GetOrAdd(key, id));
        }

        private async Task<HttpResponseMessage> UntilAcknowledgedAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
        {
            for (var attempt = 0; ; attempt++)
            {
                var response = await send();
                if (Acknowledged.Contains(response.StatusCode))
                {
                    return response;
                }

                Assert.True(attempt < 50, $"Still refused after {attempt} attempts: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                Retries++;
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Which logical shards had writes held back by a move, from this app's own metrics.</summary>
    private sealed class ShardWriteDelays : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<int, long> _delays = new();

        public ShardWriteDelays(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "scaleshop.shard.write_delays" && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "shard.logical" && tag.Value is int shard)
                    {
                        _delays.AddOrUpdate(shard, value, (_, total) => total + value);
                    }
                }
            });
            _listener.Start();
        }

        public IReadOnlyCollection<int> LogicalShards => _delays.Keys.ToArray();

        public void Dispose() => _listener.Dispose();
    }
}
