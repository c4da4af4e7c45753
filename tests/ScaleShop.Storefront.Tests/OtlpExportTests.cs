using System.Text;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, a process pushes its traces, metrics and logs to a collector over
/// OTLP (here http/protobuf) besides serving /metrics. The storefront runs as a real process, the collector is a real
/// HTTP server in the test; the bodies are checked for what must be in them without a protobuf decoder: the service's
/// name, a trace id's 16 bytes, an instrument's and a route's names (protobuf keeps strings and bytes verbatim).
/// </summary>
public sealed class OtlpExportTests : RealProcessTest
{
    [Fact]
    public async Task With_an_OTLP_endpoint_the_storefront_pushes_its_traces_metrics_and_logs_to_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var collector = await OtlpReceiver.StartAsync();
        var serviceName = $"storefront-otlp-{Guid.NewGuid():N}";
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = serviceName,
            // Export soon rather than at the defaults (spans every 5 s, metrics every 60 s).
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            // The hosting log (request started / finished) is what a request is sure to write.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        }, ct);
        try
        {
            var traceId = await TracedRequest.GetAsync(storefront.Address, "/api/v1/categories", ct);
            var service = Encoding.UTF8.GetBytes(serviceName);
            var trace = Convert.FromHexString(traceId.ToHexString());
            await Eventually.ValueAsync(() => Task.FromResult(collector.Exports.ToList()),
                all => all.Any(e => e.Signal == "traces" && Contains(e.Body, trace))
                    && all.Any(e => e.Signal == "metrics" && Contains(e.Body, "scaleshop.journey.duration"))
                    && all.Any(e => e.Signal == "logs" && Contains(e.Body, trace)),
                TimeSpan.FromSeconds(30), "the request's span and log, and the journey histogram, at the collector");

            Assert.All(collector.Exports, export =>
            {
                Assert.Equal("application/x-protobuf", export.ContentType);
                Assert.NotEmpty(export.Body);
                // Every export names its resource: this process, by the service name it was given.
                Assert.True(Contains(export.Body, service), $"a {export.Signal} export without the service name");
            });

            // The request's server span: its trace id and its route.
            Assert.Contains(collector.Of("traces"), e => Contains(e.Body, trace) && Contains(e.Body, "/api/v1/categories"));
            // The framework's meters and the storefront's own, in the same export.
            Assert.Contains(collector.Of("metrics"), e => Contains(e.Body, "http.server.request.duration") && Contains(e.Body, "scaleshop.journey.duration"));
        }
        finally
        {
            storefront.Kill();
        }
    }

    private static bool Contains(byte[] body, string text) => Contains(body, Encoding.UTF8.GetBytes(text));

    private static bool Contains(byte[] body, byte[] part) => body.AsSpan().IndexOf(part) >= 0;
}
