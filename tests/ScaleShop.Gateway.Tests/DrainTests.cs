using System.Net;

namespace ScaleShop.Gateway.Tests;

public sealed class DrainTests
{
    [Fact]
    public async Task A_draining_instance_gets_no_new_requests_and_finishes_the_one_in_flight()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 0), new Seed("sf-b", b, "v1", 100)]);
        var ct = TestContext.Current.CancellationToken;
        var slow = await SlowRequestOnBThenActivateAAsync(gateway, a, b, ct);

        var drain = await gateway.Admin.PostAsync("/admin/destinations/sf-b/drain", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, drain.StatusCode);
        var drained = await drain.Content.ReadFromJsonAsync<Destinations.DestinationView>(ct);
        Assert.Equal(("draining", 1), (drained!.State, drained.InFlight));

        var hitsWhileDraining = b.Hits;
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal("a|", await gateway.Public.GetStringAsync("/", ct));
        }

        Assert.Equal(hitsWhileDraining, b.Hits);
        Assert.False(slow.IsCompleted);

        b.ReleaseSlow();
        var answer = await slow;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("b|", await answer.Content.ReadAsStringAsync(ct));
        await Poll.UntilAsync(async () => (await gateway.DestinationAsync("sf-b")).InFlight == 0, "sf-b has nothing in flight");
        Assert.Equal("draining", (await gateway.DestinationAsync("sf-b")).State);
    }

    [Fact]
    public async Task Deleting_an_instance_with_a_request_in_flight_lets_it_finish()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 0), new Seed("sf-b", b, "v1", 100)]);
        var ct = TestContext.Current.CancellationToken;
        var slow = await SlowRequestOnBThenActivateAAsync(gateway, a, b, ct);

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Admin.DeleteAsync("/admin/destinations/sf-b", ct)).StatusCode);
        var list = await gateway.Admin.GetFromJsonAsync<Destinations.DestinationList>("/admin/destinations", ct);
        Assert.Equal(["sf-a"], list!.Destinations.Select(destination => destination.Id));
        Assert.Equal("a|", await gateway.Public.GetStringAsync("/", ct));

        b.ReleaseSlow();
        var answer = await slow;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("b|", await answer.Content.ReadAsStringAsync(ct));
        Assert.Equal("sf-b", answer.Headers.GetValues(GatewayApp.DestinationHeader).Single());
    }
    /// <summary>
    /// With only sf-b taking requests (sf-a weighted 0), starts a slow request, which can only go to sf-b, and
    /// waits until sf-b shows it in flight; then gives sf-a a weight, so that new requests have somewhere to go.
    /// </summary>
    private static async Task<Task<HttpResponseMessage>> SlowRequestOnBThenActivateAAsync(GatewayHost gateway, Backend a, Backend b, CancellationToken ct)
    {
        var slow = gateway.Public.GetAsync("/slow", ct);
        await b.SlowStarted.WaitAsync(ct);
        await Poll.UntilAsync(async () => (await gateway.DestinationAsync("sf-b")).InFlight == 1, "sf-b shows one request in flight");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-a", new { address = a.Address, version = "v1", weight = 100 }, ct)).StatusCode);
        return slow;
    }
}
