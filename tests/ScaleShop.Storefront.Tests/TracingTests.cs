using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;
using ScaleShop.Storefront.Messaging;
using ScaleShop.Storefront.Orders;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>A storefront whose traces are also collected in memory, as an OTLP collector would receive them.</summary>
public sealed class TracedStorefrontApp : StorefrontApp
{
    public List<Activity> Spans { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(Spans)));
    }
}

/// <summary>The spans of one checkout, and of cache reads and shard routing, as a collector receives them.</summary>
public sealed class TracingTests(TracedStorefrontApp app) : IClassFixture<TracedStorefrontApp>
{
    [Fact]
    public async Task One_checkout_is_one_trace_through_the_stock_the_users_shard_the_payment_provider_the_outbox_and_a_consumer()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        // The test's own root span: the client sends its trace context, so this checkout's trace is told apart
        // from every other test's (activity listeners are process-wide, and other fixtures run alongside).
        var traceId = await TracedAsync("test checkout", async () =>
            Assert.Equal(HttpStatusCode.Created, (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).StatusCode));

        var trace = await Infrastructure.Eventually.ValueAsync(() => Task.FromResult(Snapshot().Where(s => s.TraceId == traceId).ToList()),
            // A span is exported when it ends, and the storefront's server span ends after the response has reached
            // the client (after the pay step and the provider's span): wait for it too (CI on PostgreSQL once looked too early).
            all => all.Any(s => s.OperationName == CheckoutTelemetry.Pay) && all.Any(s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") is "/v1/authorizations")
                && all.Any(s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") is "/api/v1/orders"),
            TimeSpan.FromSeconds(10), "the checkout's spans exported");
        var request = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") is "/api/v1/orders");

        var reserve = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.ReserveStock);
        var write = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.WriteOrder);
        var pay = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.Pay);
        Assert.All([reserve, write, pay], step => Assert.Equal(request.SpanId, step.ParentSpanId));
        Assert.Equal("Reserved", reserve.GetTagItem("scaleshop.outcome"));
        Assert.NotNull(write.GetTagItem("scaleshop.shard.logical"));
        Assert.Equal("confirmed", pay.GetTagItem("scaleshop.outcome"));

        // The database shard: the order is written through the router to the primary of the user's shard (our span,
        // on either provider) and, on PostgreSQL, Npgsql's own spans of the statements run there.
        var logicalShard = (int)write.GetTagItem("scaleshop.shard.logical")!;
        var route = Assert.Single(trace, s => s.OperationName == DataTelemetry.RouteShard && s.ParentSpanId == write.SpanId);
        Assert.Equal(logicalShard, route.GetTagItem(DataTelemetry.LogicalShardTag));
        Assert.Equal(app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabaseOf(logicalShard), route.GetTagItem(DataTelemetry.DatabaseTag));
        Assert.Equal(DataMetrics.PrimaryRole, route.GetTagItem(DataTelemetry.RoleTag));
        if (TestStorage.IsPostgres)
        {
            Assert.Contains(trace, s => s.Source.Name == ServiceDefaults.ServiceDefaultsExtensions.NpgsqlTelemetryName && IsUnder(trace, s, write));
        }

        // The call to the payment provider is a child of the pay step, and carried the trace to the provider,
        // whose server span (in this process here, as a collector would join it from the provider's) is its child.
        var provider = Assert.Single(trace, s => s.Kind == ActivityKind.Client && s.ParentSpanId == pay.SpanId && s.GetTagItem("url.full") is not null);
        Assert.Contains("/v1/authorizations", provider.GetTagItem("url.full")?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Contains(trace, s => s.Kind == ActivityKind.Server && s.ParentSpanId == provider.SpanId);

        // Through the outbox and the bus (in-process or JetStream): the dispatcher's hand-over of the order's events
        // and the projections that applied them are spans of the same trace.
        var consumed = await Infrastructure.Eventually.ValueAsync(() => Task.FromResult(Snapshot().Where(s => s.TraceId == request.TraceId).ToList()),
            found => found.FirstOrDefault(s => s.OperationName == "consume popularity") is { } consume && found.Any(s => s.SpanId == consume.ParentSpanId),
            TimeSpan.FromSeconds(20), "the popularity projection's span in the checkout's trace, with its parent (a span of this checkout)");
        var popularity = consumed.First(s => s.OperationName == "consume popularity");
        // The dispatcher's hand-over to the bus: a span of the trace of the first event of its batch, linked to the
        // others' (this checkout's events may share a batch with an earlier request's).
        var outboxes = await Infrastructure.Eventually.ValueAsync(
            () => Task.FromResult(Snapshot().Where(s => s.OperationName == MessagingTelemetry.OutboxPublish && (s.TraceId == traceId || s.Links.Any(l => l.Context.TraceId == traceId))).ToList()),
            found => found.Count > 0 && (found.Any(o => IsUnder(Snapshot(), popularity, o)) || found.Any(o => o.TraceId != traceId)),
            TimeSpan.FromSeconds(10), "the outbox span that handed the order's events to the popularity projection");
        Assert.All(outboxes, outbox =>
        {
            Assert.Equal(ActivityKind.Producer, outbox.Kind);
            Assert.NotNull(outbox.GetTagItem("db.namespace"));
        });
    }

    [Fact]
    public async Task A_cache_read_says_its_cache_and_whether_it_hit_and_a_miss_shows_the_database_read_beneath()
    {
        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var miss = await TracedAsync("test first read", async () => await client.GetProductAsync(productId));
        var hit = await TracedAsync("test second read", async () => await client.GetProductAsync(productId));

        var missed = await SpansAsync(miss, s => s.OperationName == CacheTelemetry.CacheGet);
        var first = Assert.Single(missed, s => s.OperationName == CacheTelemetry.CacheGet);
        Assert.Equal("product", first.GetTagItem(CacheTelemetry.NameTag));
        Assert.Equal(false, first.GetTagItem(CacheTelemetry.HitTag));
        var read = Assert.Single(missed, s => s.OperationName == DataTelemetry.RouteCatalog && IsUnder(missed, s, first));
        Assert.Equal("catalog", read.GetTagItem(DataTelemetry.DatabaseTag));
        Assert.Null(read.GetTagItem(DataTelemetry.LogicalShardTag));

        var hits = await SpansAsync(hit, s => s.OperationName == CacheTelemetry.CacheGet);
        var second = Assert.Single(hits, s => s.OperationName == CacheTelemetry.CacheGet);
        Assert.Equal("product", second.GetTagItem(CacheTelemetry.NameTag));
        Assert.Equal(true, second.GetTagItem(CacheTelemetry.HitTag));
        Assert.DoesNotContain(hits, s => s.Source.Name == DataTelemetry.SourceName && IsUnder(hits, s, second));
    }

    /// <summary>The Redis instrumentation's ActivitySource (OpenTelemetry.Instrumentation.StackExchangeRedis).</summary>
    private const string RedisSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    [Fact]
    public async Task On_PostgreSQL_a_cache_miss_asks_Redis_in_a_client_span_beneath_the_cache_read()
    {
        if (!TestStorage.IsPostgres || TestStorage.Redis is null)
        {
            Assert.Skip("Redis is the second cache level of the production topology only: the SQLite pass caches in memory (run with SCALESHOP_TEST_PROVIDER=Postgres and the topology's SCALESHOP_REDIS).");
        }

        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var miss = await TracedAsync("test read through Redis", async () => await client.GetProductAsync(productId));

        // The instrumentation reads StackExchange.Redis' profiler sessions and turns their commands into spans when it
        // drains them (every 10 s by default): a longer wait than for the other spans.
        var spans = await SpansAsync(miss, s => s.Source.Name == RedisSource && s.ParentSpanId != default, TimeSpan.FromSeconds(30));
        var read = Assert.Single(spans, s => s.OperationName == CacheTelemetry.CacheGet);
        Assert.Equal(false, read.GetTagItem(CacheTelemetry.HitTag));
        var redis = spans.Where(s => s.Source.Name == RedisSource).ToList();
        Assert.All(redis, span =>
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal("redis", span.GetTagItem("db.system") ?? span.GetTagItem("db.system.name"));
        });
        // The second level asked before the database was: a Redis command beneath the cache read of this request.
        Assert.Contains(redis, span => IsUnder(spans, span, read));
    }

    [Fact]
    public async Task A_catalog_read_says_whether_a_replica_or_the_primary_served_it()
    {
        using var client = app.Anonymous();
        // On the production topology the catalog has a replica, which serves plain reads once the monitor has seen
        // it current; on SQLite the primary serves every read. Each try reads a product not cached yet.
        var expected = TestStorage.IsPostgres ? DataMetrics.ReplicaRole : DataMetrics.PrimaryRole;
        var route = await Infrastructure.Eventually.ValueAsync(async () =>
        {
            var productId = StorefrontApp.TakeProductId();
            var trace = await TracedAsync("test product read", async () => await client.GetProductAsync(productId));
            return (await SpansAsync(trace, s => s.OperationName == DataTelemetry.RouteCatalog)).First(s => s.OperationName == DataTelemetry.RouteCatalog);
        }, r => Equals(r.GetTagItem(DataTelemetry.RoleTag), expected), TimeSpan.FromSeconds(10), $"a catalog read served by the {expected}");
        Assert.Equal("catalog", route.GetTagItem(DataTelemetry.DatabaseTag));
        Assert.Equal("read", route.GetTagItem(DataTelemetry.IntentTag));
    }

    /// <summary>Runs <paramref name="work"/> under a recorded root span of the test's own and returns its trace id.</summary>
    private static async Task<ActivityTraceId> TracedAsync(string name, Func<Task> work)
    {
        // Sampled, as a traced caller's is: the parent-based sampler records children of recorded parents only.
        using var root = new Activity(name) { ActivityTraceFlags = ActivityTraceFlags.Recorded }.SetIdFormat(ActivityIdFormat.W3C).Start();
        await work();
        return root.TraceId;
    }

    /// <summary>A trace's spans once the request's server span and one matching <paramref name="expected"/> are exported.</summary>
    private Task<List<Activity>> SpansAsync(ActivityTraceId traceId, Func<Activity, bool> expected, TimeSpan? timeout = null) =>
        Infrastructure.Eventually.ValueAsync(() => Task.FromResult(Snapshot().Where(s => s.TraceId == traceId).ToList()),
            all => all.Any(s => s.Kind == ActivityKind.Server) && all.Any(expected), timeout ?? TimeSpan.FromSeconds(10), "the request's spans exported");

    /// <summary>True when <paramref name="ancestor"/> is a parent, grandparent, ... of <paramref name="span"/> among <paramref name="spans"/>.</summary>
    private static bool IsUnder(IReadOnlyCollection<Activity> spans, Activity span, Activity ancestor)
    {
        for (var current = span; current is not null; current = spans.FirstOrDefault(s => s.SpanId == current.ParentSpanId && s.TraceId == current.TraceId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The exporter appends as spans end, on the threads that end them: a copy racing an append is retried.</summary>
    private List<Activity> Snapshot()
    {
        try
        {
            return [.. app.Spans];
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            return [];
        }
    }
}
