using System.Net;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

/// <summary>Every process serves its meters at /metrics in Prometheus' text format, over real HTTP.</summary>
public sealed class MetricsEndpointTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task The_storefront_serves_its_own_meters_and_the_frameworks_in_Prometheus_format()
    {
        using var client = app.Anonymous();
        (await client.GetAsync("/api/v1/recommendations?limit=3", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        (await client.GetAsync($"/api/v1/products/{StorefrontApp.TakeProductId()}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        // The exporter caches a scrape briefly: wait for one that includes the requests above.
        var text = await Eventually.ValueAsync(async () =>
        {
            var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }, t => t.Contains("scaleshop_recommendations_served", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the recommendations counter scraped");

        (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken); // past the exporter's scrape cache
        text = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken); // would show the earlier scrapes, were they measured

        Assert.Contains("http_server_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("scaleshop_cache", text, StringComparison.Ordinal);
        // Scrapes and probes are not traffic: no request-duration series for them.
        Assert.DoesNotContain(text.Split('\n'), line => line.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal)
            && (line.Contains("http_route=\"/metrics\"", StringComparison.Ordinal) || line.Contains("http_route=\"/health", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_payment_provider_and_the_recommendations_service_serve_theirs()
    {
        using var payments = app.Payments.CreateClient();
        using var recommendations = app.Recommendations.CreateClient();
        (await recommendations.GetAsync("/v1/recommendations", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        foreach (var client in new[] { payments, recommendations })
        {
            var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }
}
