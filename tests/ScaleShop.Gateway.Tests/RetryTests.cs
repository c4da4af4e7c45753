using System.Net;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Gateway.Traffic;

namespace ScaleShop.Gateway.Tests;

public sealed class RetryTests
{
    // A failing instance stays in the choice, so that every test request can meet it (passive health off in effect).
    private static readonly (string, string) KeepFailingInstance = ("Gateway:PassiveHealthFailureThreshold", "100");

    [Fact]
    public async Task A_GET_is_retried_on_another_instance_when_one_is_stopped()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        // sf-b is nearly always picked first; probes are rare here, so that only the failed request can take it out.
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 1), new Seed("sf-b", b, "v2", 10_000)],
            ("Gateway:ActiveHealthCheckInterval", "00:05:00"));
        var ct = TestContext.Current.CancellationToken;
        using var retries = new MetricCollector<long>(gateway.Service<System.Diagnostics.Metrics.IMeterFactory>(), TrafficRecorder.MeterName, "scaleshop.gateway.retries");
        await b.StopAsync();

        for (var i = 0; i < 20; i++)
        {
            var response = await gateway.Public.GetAsync("/api/v1/categories", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("a|", await response.Content.ReadAsStringAsync(ct));
        }

        Assert.NotEmpty(retries.GetMeasurementSnapshot());
        // The failed request marked it for the passive health check: out of the choice until its reactivation.
        Assert.False((await gateway.DestinationAsync("sf-b")).Healthy);
        var traffic = await gateway.TrafficAsync();
        Assert.Equal(20, traffic.Destinations["sf-a"].Requests);
        Assert.False(traffic.Destinations.ContainsKey("sf-b"));
        Assert.Equal(0, traffic.Versions["v1"].Failures);
    }

    [Fact]
    public async Task A_GET_is_retried_when_the_instance_aborts_the_connection()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 50), new Seed("sf-b", b, "v1", 50)], KeepFailingInstance);
        var ct = TestContext.Current.CancellationToken;
        b.Abort = true;

        for (var i = 0; i < 30; i++)
        {
            var response = await gateway.Public.GetAsync("/api/v1/search?q=lamp", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("a|", await response.Content.ReadAsStringAsync(ct));
        }

        Assert.True(b.Hits > 0, "sf-b was never tried");
        Assert.Equal(30, a.Hits);
    }

    [Fact]
    public async Task A_POST_without_an_Idempotency_Key_is_not_retried()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 1), new Seed("sf-b", b, "v1", 10_000)], KeepFailingInstance);
        var ct = TestContext.Current.CancellationToken;
        b.Abort = true;

        var badGateways = 0;
        for (var i = 0; i < 10; i++)
        {
            using var body = new StringContent("{\"items\":[]}", Encoding.UTF8, "application/json");
            var response = await gateway.Public.PostAsync("/api/v1/orders", body, ct);
            if (response.StatusCode == HttpStatusCode.BadGateway)
            {
                badGateways++;
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            else
            {
                Assert.Equal("a|{\"items\":[]}", await response.Content.ReadAsStringAsync(ct));
            }
        }

        Assert.True(badGateways > 0, "sf-b was never picked");
        Assert.Equal(badGateways, b.Hits); // each POST reached one instance, once
        Assert.Equal(10 - badGateways, a.Hits);
        Assert.Equal(badGateways, (await gateway.TrafficAsync()).Destinations["sf-b"].Failures);
    }

    [Fact]
    public async Task A_POST_with_an_Idempotency_Key_is_retried_with_its_body()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 1), new Seed("sf-b", b, "v1", 10_000)], KeepFailingInstance);
        var ct = TestContext.Current.CancellationToken;
        b.Abort = true;

        var payload = "{\"items\":[{\"productId\":42,\"quantity\":2}]," + new string(' ', 20_000) + "\"n\":1}";
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", $"key-{i}");
            var response = await gateway.Public.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("a|" + payload, await response.Content.ReadAsStringAsync(ct));
        }

        Assert.True(b.Hits > 0, "sf-b was never tried");
        Assert.Equal(5, a.Hits);
    }

    [Fact]
    public async Task A_body_over_the_buffer_limit_is_sent_once()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 1), new Seed("sf-b", b, "v1", 10_000)],
            KeepFailingInstance, ("Gateway:MaxRetryBodyBytes", "1024"));
        var ct = TestContext.Current.CancellationToken;
        b.Abort = true;

        var badGateways = 0;
        for (var i = 0; i < 5; i++)
        {
            var response = await gateway.Public.PutAsync("/api/v1/cart/items/42", new StringContent(new string('x', 4096)), ct);
            badGateways += response.StatusCode == HttpStatusCode.BadGateway ? 1 : 0;
        }

        Assert.Equal(badGateways, b.Hits);
        Assert.Equal(5 - badGateways, a.Hits);
    }

    [Fact]
    public async Task An_HTTP_answer_is_not_retried_even_a_503_and_passes_through_as_it_is()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 50), new Seed("sf-b", b, "v1", 50)]);
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 10; i++)
        {
            var response = await gateway.Public.GetAsync("/status/503", ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Matches("^[ab]\\|$", await response.Content.ReadAsStringAsync(ct));
        }

        Assert.Equal(10, a.Hits + b.Hits);

        var empty = await gateway.Public.GetAsync("/empty/404", ct);
        Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
        Assert.Equal("", await empty.Content.ReadAsStringAsync(ct)); // not turned into the gateway's problem details
    }
}
