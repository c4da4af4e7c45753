using System.Net;
using ScaleShop.Slo;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// Every process serves its meters at /metrics in Prometheus' text format, over real HTTP. The storefront runs
/// as a real process here: meter listeners are process-wide, and the other fixtures of this test process would
/// otherwise share (and, as they stop, take away) its instruments.
/// </summary>
public sealed class MetricsEndpointTests : RealProcessTest
{
    [Fact]
    public async Task The_storefront_serves_its_own_meters_and_the_frameworks_in_Prometheus_format()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            using var client = new HttpClient { BaseAddress = storefront.Address };
            (await client.GetAsync("/api/v1/recommendations?limit=3", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/products/7", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/products/7", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/health/ready", ct)).EnsureSuccessStatusCode();

            // The exporter caches a scrape briefly: wait for one that shows the requests above, and that comes
            // after an earlier scrape (which it would show, were scrapes measured).
            var scrapes = 0;
            var text = await Eventually.ValueAsync(async () =>
            {
                var response = await client.GetAsync("/metrics", ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
                scrapes++;
                return await response.Content.ReadAsStringAsync(ct);
            }, t => scrapes > 1 && t.Contains("scaleshop_recommendations_served", StringComparison.Ordinal)
                && t.Contains("scaleshop_cache_lookups", StringComparison.Ordinal)
                && t.Contains("http_server_request_duration_seconds_bucket", StringComparison.Ordinal)
                && t.Contains(PrometheusRules.DurationMetric, StringComparison.Ordinal), TimeSpan.FromSeconds(15), "a scrape with the storefront's meters");

            // Every breaker's state, and every dependency pipeline's latency under the dependency's name.
            Assert.Contains(text.Split('\n'), line => line.StartsWith("scaleshop_circuit_state{", StringComparison.Ordinal)
                && line.Contains("dependency=\"recommendations\"", StringComparison.Ordinal) && line.EndsWith(" 0", StringComparison.Ordinal));
            Assert.Contains(text.Split('\n'), line => line.StartsWith("resilience_polly_pipeline_duration_milliseconds_count{", StringComparison.Ordinal)
                && line.Contains("pipeline_name=\"db.catalog\"", StringComparison.Ordinal));

            // The journey histogram has a bucket at each journey's latency threshold, labelled as the Prometheus rules select it.
            var objectives = SloObjectives.Load(Path.Combine(AppContext.BaseDirectory, "objectives.json"));
            foreach (var journey in new[] { "browse", "recommendations" })
            {
                var le = $"le=\"{PrometheusRules.Le(objectives.Find(journey)!.Latency.ThresholdMs)}\"";
                Assert.Contains(text.Split('\n'), line => line.StartsWith($"{PrometheusRules.DurationMetric}_bucket{{", StringComparison.Ordinal)
                    && line.Contains($"journey=\"{journey}\"", StringComparison.Ordinal) && line.Contains("outcome=\"ok\"", StringComparison.Ordinal) && line.Contains(le, StringComparison.Ordinal));
            }

            // Scrapes and probes are not traffic: no request-duration series for them.
            Assert.DoesNotContain(text.Split('\n'), line => line.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal)
                && (line.Contains("http_route=\"/metrics\"", StringComparison.Ordinal) || line.Contains("http_route=\"/health", StringComparison.Ordinal)));
        }
        finally
        {
            storefront.Kill();
        }
    }

    [Fact]
    public async Task The_payment_provider_and_the_recommendations_service_serve_theirs()
    {
        using var payments = Payments.CreateClient();
        using var recommendations = Recommendations.CreateClient();
        (await recommendations.GetAsync("/v1/recommendations", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        foreach (var client in new[] { payments, recommendations })
        {
            var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }
}
