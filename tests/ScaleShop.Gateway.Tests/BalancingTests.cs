using System.Net;

namespace ScaleShop.Gateway.Tests;

public sealed class BalancingTests
{
    [Fact]
    public async Task A_10_90_split_sends_about_a_tenth_to_the_canary()
    {
        await using var stable = await Backend.StartAsync("stable");
        await using var canary = await Backend.StartAsync("canary");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-v1-1", stable, "v1", 90), new Seed("sf-v2-1", canary, "v2", 10)]);
        var ct = TestContext.Current.CancellationToken;

        const int Requests = 1000;
        var toCanary = 0;
        for (var i = 0; i < Requests; i++)
        {
            var response = await gateway.Public.GetAsync("/api/v1/products", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            toCanary += response.Headers.GetValues(GatewayApp.VersionHeader).Single() == "v2" ? 1 : 0;
        }

        // Binomial(1000, 0.1): mean 100, standard deviation 9.5; five deviations either side.
        Assert.InRange(toCanary, 52, 148);
        Assert.Equal(toCanary, canary.Hits);
        Assert.Equal(Requests - toCanary, stable.Hits);
    }

    [Fact]
    public async Task A_destination_of_weight_0_gets_no_requests()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 100), new Seed("sf-b", b, "v1", 0)]);
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("a|", await gateway.Public.GetStringAsync("/", ct));
        }

        Assert.Equal(0, b.Hits);
    }

    [Fact]
    public async Task The_active_health_check_takes_an_unready_instance_out_and_brings_it_back()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 50), new Seed("sf-b", b, "v1", 50)]);
        var ct = TestContext.Current.CancellationToken;

        b.Ready = false;
        await Poll.UntilAsync(async () => !(await gateway.DestinationAsync("sf-b")).Healthy, "sf-b is unhealthy");
        var before = b.Hits;
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal("a|", await gateway.Public.GetStringAsync("/", ct));
        }

        Assert.Equal(before, b.Hits);
        Assert.True((await gateway.DestinationAsync("sf-a")).Healthy);

        b.Ready = true;
        await Poll.UntilAsync(async () => (await gateway.DestinationAsync("sf-b")).Healthy, "sf-b is healthy again");
        await Poll.UntilAsync(async () => await gateway.Public.GetStringAsync("/", ct) == "b|", "sf-b takes requests again");
    }
}
