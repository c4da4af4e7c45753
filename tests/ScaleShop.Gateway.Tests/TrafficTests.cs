using System.Net;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ScaleShop.Gateway.Traffic;

namespace ScaleShop.Gateway.Tests;

public sealed class TrafficTests
{
    [Fact]
    public async Task Each_request_is_counted_once_per_version_and_destination_with_its_failures_and_latency()
    {
        await using var one = await Backend.StartAsync("one");
        await using var two = await Backend.StartAsync("two");
        await using var three = await Backend.StartAsync("three");
        await using var gateway = await GatewayHost.StartAsync(
            [new Seed("sf-v1-1", one, "v1", 50), new Seed("sf-v1-2", two, "v1", 50), new Seed("sf-v2-1", three, "v2", 0)],
            ("Gateway:PassiveHealthFailureThreshold", "100"));
        var ct = TestContext.Current.CancellationToken;
        using var durations = new MetricCollector<double>(gateway.Service<System.Diagnostics.Metrics.IMeterFactory>(), TrafficRecorder.MeterName, "scaleshop.gateway.request.duration");

        // v1: 40 answers, 5 of them 500s.
        for (var i = 0; i < 35; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Public.GetAsync("/", ct)).StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await gateway.Public.GetAsync("/status/500", ct)).StatusCode);
        }

        // v2 alone: 10 answers, 3 of them the proxy's own 502 (a POST to an instance that aborts), 2 client errors.
        await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-v1-1", new { address = one.Address, version = "v1", weight = 0 }, ct);
        await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-v1-2", new { address = two.Address, version = "v1", weight = 0 }, ct);
        await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-v2-1", new { address = three.Address, version = "v2", weight = 100 }, ct);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Public.GetAsync("/", ct)).StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await gateway.Public.GetAsync("/status/404", ct)).StatusCode);
        }

        three.Abort = true;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadGateway, (await gateway.Public.PostAsync("/api/v1/orders", new StringContent("{}", Encoding.UTF8, "application/json"), ct)).StatusCode);
        }

        var traffic = await gateway.TrafficAsync();
        Assert.Equal((40, 5), (traffic.Versions["v1"].Requests, traffic.Versions["v1"].Failures));
        Assert.Equal((10, 3), (traffic.Versions["v2"].Requests, traffic.Versions["v2"].Failures));
        Assert.Equal(40, traffic.Versions["v1"].LatencyCounts.Sum());
        Assert.Equal(10, traffic.Versions["v2"].LatencyCounts.Sum());
        Assert.Equal(TrafficRecorder.LatencyBoundsMs.Count + 1, traffic.Versions["v1"].LatencyCounts.Count);

        var v1Destinations = new[] { traffic.Destinations["sf-v1-1"], traffic.Destinations["sf-v1-2"] };
        Assert.Equal(40, v1Destinations.Sum(destination => destination.Requests));
        Assert.Equal(5, v1Destinations.Sum(destination => destination.Failures));
        Assert.Equal(one.Hits, traffic.Destinations["sf-v1-1"].Requests);
        Assert.Equal(two.Hits, traffic.Destinations["sf-v1-2"].Requests);
        Assert.All(traffic.Destinations.Values, destination => Assert.Equal(destination.Requests, destination.LatencyCounts.Sum()));
        Assert.Equal(("v2", 10, 3), (traffic.Destinations["sf-v2-1"].Version, traffic.Destinations["sf-v2-1"].Requests, traffic.Destinations["sf-v2-1"].Failures));

        var measured = durations.GetMeasurementSnapshot();
        Assert.Equal(50, measured.Count);
        Assert.Equal(8, measured.Count(m => Equals(m.Tags["outcome"], "failure")));
        Assert.Equal(2, measured.Count(m => Equals(m.Tags["outcome"], "client_error")));
        Assert.Equal(10, measured.Count(m => Equals(m.Tags["version"], "v2")));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 0)]
    [InlineData(1.01, 1)]
    [InlineData(4.0, 3)]
    [InlineData(13000.0, 20)]
    [InlineData(13000.5, 21)]
    public void A_latency_falls_in_the_first_bucket_whose_bound_it_does_not_exceed(double milliseconds, int bucket) =>
        Assert.Equal(bucket, TrafficRecorder.Bucket(milliseconds));
}
