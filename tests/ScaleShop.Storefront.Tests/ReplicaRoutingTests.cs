using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// Own instance, so that the database operations it counts are its own; a generous read-your-writes wait,
/// so that a replica on a busy test machine still catches up within it.
/// </summary>
public sealed class ReplicaApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Storage:Postgres:ReadYourWritesWait", "00:00:00.500")];
}

public sealed class ReplicaRoutingTests(ReplicaApp app) : IClassFixture<ReplicaApp>
{
    private const string Token = "ScaleShop-Consistency";

    private MetricCollector<long> Operations() =>
        new(app.Service<System.Diagnostics.Metrics.IMeterFactory>(), DataMetrics.MeterName, "scaleshop.db.operations");

    private static long Count(MetricCollector<long> collector, string role) =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["db.role"], role)).Sum(m => m.Value);

    [Fact]
    public async Task Catalog_reads_that_miss_the_cache_are_served_by_the_replica_where_there_is_one()
    {
        using var client = app.Anonymous();
        using var operations = Operations();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        // On PostgreSQL: until the replica monitor has seen the replica and a read reaches it. On SQLite: 20 reads.
        for (var after = 1; (TestStorage.IsPostgres ? Count(operations, DataMetrics.ReplicaRole) == 0 : after <= 20) && DateTime.UtcNow < deadline; after++)
        {
            // Each page is a new cache key: a database read every time.
            (await client.GetAsync($"/api/v1/products?limit=1&after={ScaleShop.Storefront.Common.Cursor.Encode(after)}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        if (TestStorage.IsPostgres)
        {
            Assert.True(Count(operations, DataMetrics.ReplicaRole) > 0, "No catalog read reached the replica.");
        }
        else
        {
            // Embedded defaults have no replica: every read is the primary's.
            Assert.Equal(0, Count(operations, DataMetrics.ReplicaRole));
            Assert.True(Count(operations, DataMetrics.PrimaryRole) > 0);
        }
    }

    [Fact]
    public async Task A_user_who_sends_the_token_back_always_reads_their_own_writes()
    {
        // Users whose shard lives on server A, which has the replica (on SQLite: any user).
        var map = app.Service<IDatabaseRouter>().ShardMap;
        var users = new List<HttpClient>();
        while (users.Count < 4)
        {
            var (candidate, userId, _) = await app.NewUserAsync();
            Assert.True(ShardedId.TryParse(userId, out var id));
            if (!TestStorage.IsPostgres || map.PhysicalDatabaseOf(id.LogicalShard) is "shard0" or "shard1")
            {
                users.Add(candidate);
            }
            else
            {
                candidate.Dispose();
            }
        }

        using var operations = Operations();
        var productId = StorefrontApp.TakeProductId();
        foreach (var client in users)
        {
            for (var i = 0; i < 5; i++)
            {
                var placed = await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 1));
                var order = await placed.ReadAsync<OrderDto>(HttpStatusCode.Created);
                // A token exists only where there are replicas to be consistent with.
                Assert.Equal(TestStorage.IsPostgres, placed.Headers.TryGetValues(Token, out var tokens));

                using var read = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{order.Id}");
                if (tokens is not null)
                {
                    read.Headers.Add(Token, tokens.Single());
                }

                var fetched = await (await client.SendAsync(read, TestContext.Current.CancellationToken)).ReadAsync<OrderDto>();
                Assert.Equal(order.Id, fetched.Id);
            }
        }

        // Every read above saw its write, whichever served it. On PostgreSQL the bounded wait lets the replica
        // serve reads that carry a token it had not yet been seen to replay, instead of the primary.
        var replicaReadsOfOwnWrites = operations.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["db.role"], DataMetrics.ReplicaRole) && Equals(m.Tags["db.intent"], "read_your_writes") && m.Tags["db.name"] is "shard0" or "shard1")
            .Sum(m => m.Value);
        if (TestStorage.IsPostgres)
        {
            Assert.True(replicaReadsOfOwnWrites > 0, "No read of a user's own writes was served by the replica.");
        }
        else
        {
            Assert.Equal(0, replicaReadsOfOwnWrites);
        }
        foreach (var client in users)
        {
            client.Dispose();
        }
    }
}

/// <summary>An instance whose every replica is down (nothing listens on port 1).</summary>
public sealed class DeadReplicaApp : StorefrontApp
{
    private const string Dead = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=1";

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Storage:Postgres:Catalog:Replicas:0", Dead),
        new("Storage:Postgres:Shards:shard0:Replicas:0", Dead),
        new("Storage:Postgres:Shards:shard1:Replicas:0", Dead),
    ];
}

public sealed class DeadReplicaTests(DeadReplicaApp app) : IClassFixture<DeadReplicaApp>
{
    [Fact]
    public async Task With_every_replica_down_reads_and_writes_are_served_by_the_primaries()
    {
        using var anonymous = app.Anonymous();
        for (var after = 1; after <= 10; after++)
        {
            (await anonymous.GetAsync($"/api/v1/products?limit=2&after={ScaleShop.Storefront.Common.Cursor.Encode(after)}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        (await anonymous.GetAsync("/api/v1/search?q=acme", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var order = await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).ReadAsync<OrderDto>(HttpStatusCode.Created);
        var history = await (await client.GetAsync("/api/v1/orders", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Equal([order.Id], history.Items.Select(o => o.Id));
    }
}
