using System.Diagnostics;
using System.Net;

namespace ScaleShop.Gateway.Tests;

/// <summary>The gateway's own telemetry: its meters at /metrics, and a caller's trace carried through to the instance that answers.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task The_gateway_serves_its_own_request_series_at_metrics_in_Prometheus_format()
    {
        await using var backend = await Backend.StartAsync("one");
        // A version no other gateway of this test process uses: meter listeners are process-wide, and the other
        // tests' gateways record under their own versions.
        var version = $"v-{Guid.NewGuid():N}"[..12];
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-1", backend, version, 100)]);
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Public.GetAsync("/api/v1/products", ct)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.InternalServerError, (await gateway.Public.GetAsync("/status/500", ct)).StatusCode);

        // The exporter caches a scrape briefly: ask until one shows the four requests.
        string text = "";
        await Poll.UntilAsync(async () =>
        {
            var response = await gateway.Public.GetAsync("/metrics", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The gateway's own endpoint, not proxied to the instance (which would answer "one|" as text/plain too).
            Assert.False(response.Headers.Contains(GatewayApp.DestinationHeader), "/metrics was proxied to a destination");
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            text = await response.Content.ReadAsStringAsync(ct);
            return Sample(text, "scaleshop_gateway_request_duration_seconds_count", version, "success") == 3
                && Sample(text, "scaleshop_gateway_request_duration_seconds_count", version, "failure") == 1;
        }, "a scrape of the gateway's four requests by version and outcome");

        Assert.Contains("# TYPE scaleshop_gateway_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains(text.Split('\n'), line => line.StartsWith("scaleshop_gateway_request_duration_seconds_bucket{", StringComparison.Ordinal)
            && line.Contains($"version=\"{version}\"", StringComparison.Ordinal) && line.Contains("le=\"+Inf\"", StringComparison.Ordinal));
        // ASP.NET Core's request series of the proxied route, as the storefront's are.
        Assert.Contains(text.Split('\n'), line => line.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && line.Contains("http_route=\"{**catch-all}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_callers_trace_reaches_the_instance_through_the_gateway()
    {
        await using var backend = await Backend.StartAsync("one");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-1", backend, "v1", 100)]);
        var ct = TestContext.Current.CancellationToken;
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();

        // No propagator: this test process's own HttpClient tracing would otherwise replace our traceparent with its own.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = gateway.Public.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/products");
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{callerSpan.ToHexString()}-01");
        var response = await client.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The instance got the caller's trace, with the gateway's own span as the parent (the gateway is a hop of
        // the trace, not a pass-through that hides itself), and its request activity joined that trace.
        var received = response.Headers.GetValues(Backend.ReceivedTraceparentHeader).Single().Split('-');
        Assert.Equal(4, received.Length);
        Assert.Equal(traceId.ToHexString(), received[1]);
        Assert.NotEqual(callerSpan.ToHexString(), received[2]);
        Assert.Equal("01", received[3]);
        Assert.Equal(traceId.ToHexString(), response.Headers.GetValues(Backend.ActivityTraceIdHeader).Single());
    }

    /// <summary>The value of the sample of <paramref name="series"/> with these version and outcome labels; -1 when there is none.</summary>
    private static double Sample(string text, string series, string version, string outcome) =>
        text.Split('\n').Where(line => line.StartsWith(series + "{", StringComparison.Ordinal) && line.Contains($"version=\"{version}\"", StringComparison.Ordinal)
                && line.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(line.LastIndexOf('}') + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Single();
}
