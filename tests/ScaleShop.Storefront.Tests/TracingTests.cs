using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using ScaleShop.Storefront.Orders;

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

/// <summary>The spans of one checkout, as a collector receives them.</summary>
public sealed class TracingTests(TracedStorefrontApp app) : IClassFixture<TracedStorefrontApp>
{
    [Fact]
    public async Task One_checkout_is_one_trace_through_the_stock_the_users_shard_and_the_payment_provider()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        // The test's own root span: the client sends its trace context, so this checkout's trace is told apart
        // from every other test's (activity listeners are process-wide, and other fixtures run alongside).
        ActivityTraceId traceId;
        // Sampled, as a traced caller's is: the parent-based sampler records children of recorded parents only.
        using (var root = new Activity("test checkout") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            traceId = root.TraceId;
            var response = await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var trace = await Infrastructure.Eventually.ValueAsync(() => Task.FromResult(Snapshot().Where(s => s.TraceId == traceId).ToList()),
            all => all.Any(s => s.OperationName == CheckoutTelemetry.Pay), TimeSpan.FromSeconds(10), "the checkout's spans exported");
        var request = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") is "/api/v1/orders");

        var reserve = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.ReserveStock);
        var write = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.WriteOrder);
        var pay = Assert.Single(trace, s => s.OperationName == CheckoutTelemetry.Pay);
        Assert.All([reserve, write, pay], step => Assert.Equal(request.SpanId, step.ParentSpanId));
        Assert.Equal("Reserved", reserve.GetTagItem("scaleshop.outcome"));
        Assert.NotNull(write.GetTagItem("scaleshop.shard.logical"));
        Assert.Equal("confirmed", pay.GetTagItem("scaleshop.outcome"));
        // The call to the payment provider is a child of the pay step, and carried the trace to the provider.
        var provider = Assert.Single(trace, s => s.Kind == ActivityKind.Client && s.ParentSpanId == pay.SpanId);
        Assert.Contains("/v1/authorizations", provider.GetTagItem("url.full")?.ToString() ?? "", StringComparison.Ordinal);

        // Through the outbox and the bus (in-process or JetStream): the projections that applied the order's
        // events are spans of the same trace, children of the step that wrote the event.
        var consumed = await Infrastructure.Eventually.ValueAsync(() => Task.FromResult(Snapshot().Where(s => s.TraceId == request.TraceId && s.Kind == ActivityKind.Consumer).ToList()),
            found => found.Any(s => s.OperationName == "consume popularity"), TimeSpan.FromSeconds(20), "the popularity projection's span in the checkout's trace");
        var popularity = consumed.First(s => s.OperationName == "consume popularity");
        Assert.Contains(Snapshot(), s => s.TraceId == request.TraceId && s.SpanId == popularity.ParentSpanId); // a child of a span of this checkout
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
