using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ScaleShop.Gateway.Tests;

public sealed class AdminApiTests
{
    [Fact]
    public async Task The_admin_API_wants_the_bearer_key_and_answers_only_on_the_admin_port()
    {
        await using var a = await Backend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-a", a, "v1", 100)]);
        var ct = TestContext.Current.CancellationToken;

        using var anonymous = new HttpClient { BaseAddress = gateway.Admin.BaseAddress };
        var missing = await anonymous.GetAsync("/admin/destinations", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-key-not-the-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/admin/traffic", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsJsonAsync("/admin/destinations/sf-x", new { address = a.Address, version = "v1", weight = 1 }, ct)).StatusCode);

        // Not on the public port, even with the key (and a Host header naming the admin port).
        using var publicWithKey = new HttpRequestMessage(HttpMethod.Get, "/admin/destinations");
        publicWithKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.AdminKey);
        publicWithKey.Headers.Host = gateway.Admin.BaseAddress!.Authority;
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Public.SendAsync(publicWithKey, ct)).StatusCode);

        // The admin port proxies nothing; the public port proxies the rest.
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Admin.GetAsync("/api/v1/products", ct)).StatusCode);
        Assert.Equal(0, a.Hits);
        Assert.Equal("a|", await gateway.Public.GetStringAsync("/api/v1/products", ct));
    }

    [Fact]
    public async Task Destinations_and_traffic_have_the_contracts_shape()
    {
        await using var a = await Backend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([new Seed("sf-v1-1", a, "v1", 100)]);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await gateway.Public.GetAsync("/", ct)).StatusCode);

        using var list = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/admin/destinations", ct));
        var destination = list.RootElement.GetProperty("destinations").EnumerateArray().Single();
        Assert.Equal("sf-v1-1", destination.GetProperty("id").GetString());
        Assert.Equal(a.Address.ToString(), destination.GetProperty("address").GetString());
        Assert.Equal("v1", destination.GetProperty("version").GetString());
        Assert.Equal(100, destination.GetProperty("weight").GetInt32());
        Assert.Equal("active", destination.GetProperty("state").GetString());
        Assert.True(destination.GetProperty("healthy").GetBoolean());
        Assert.Equal(0, destination.GetProperty("inFlight").GetInt32());

        using var traffic = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/admin/traffic", ct));
        var root = traffic.RootElement;
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("since").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(
            [1, 2, 3, 5, 8, 13, 20, 30, 50, 80, 130, 200, 300, 500, 800, 1300, 2000, 3000, 5000, 8000, 13000],
            root.GetProperty("latencyBoundsMs").EnumerateArray().Select(bound => bound.GetInt32()));
        var v1 = root.GetProperty("versions").GetProperty("v1");
        Assert.Equal(1, v1.GetProperty("requests").GetInt64());
        Assert.Equal(0, v1.GetProperty("failures").GetInt64());
        Assert.Equal(22, v1.GetProperty("latencyCounts").GetArrayLength());
        var perDestination = root.GetProperty("destinations").GetProperty("sf-v1-1");
        Assert.Equal("v1", perDestination.GetProperty("version").GetString());
        Assert.Equal(1, perDestination.GetProperty("requests").GetInt64());
    }

    [Theory]
    [InlineData("sf-a", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"v1\",\"weight\":10001}", "weight")]
    [InlineData("sf-a", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"v1\",\"weight\":-1}", "weight")]
    [InlineData("sf-a", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"v1\"}", "weight")]
    [InlineData("sf-a", "{\"address\":\"127.0.0.1:8101\",\"version\":\"v1\",\"weight\":1}", "address")]
    [InlineData("sf-a", "{\"address\":\"ftp://127.0.0.1/\",\"version\":\"v1\",\"weight\":1}", "address")]
    [InlineData("sf-a", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"\",\"weight\":1}", "version")]
    [InlineData("SF_A", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"v1\",\"weight\":1}", "id")]
    [InlineData("sf-a", "{\"address\":\"http://127.0.0.1:1/\",\"version\":\"v1\",\"weight\":\"ten\"}", "weight")]
    public async Task Bad_input_is_a_problem_naming_the_field(string id, string json, string field)
    {
        await using var gateway = await GatewayHost.StartAsync([]);
        var ct = TestContext.Current.CancellationToken;
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await gateway.Admin.PutAsync($"/admin/destinations/{id}", content, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());
        Assert.Empty((await gateway.Admin.GetFromJsonAsync<Destinations.DestinationList>("/admin/destinations", ct))!.Destinations);
    }

    [Fact]
    public async Task Put_creates_and_changes_drain_and_delete_say_404_for_the_unknown()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([]);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gateway.Public.GetAsync("/", ct)).StatusCode);

        var created = await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-1", new { address = a.Address, version = "v1", weight = 100 }, ct);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<Destinations.DestinationView>(ct);
        Assert.Equal(new Destinations.DestinationView("sf-1", a.Address.ToString(), "v1", 100, "active", true, 0), view);
        Assert.Equal("a|", await gateway.Public.GetStringAsync("/", ct));

        var moved = await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-1", new { address = b.Address, version = "v2", weight = 7 }, ct);
        Assert.Equal("v2", (await moved.Content.ReadFromJsonAsync<Destinations.DestinationView>(ct))!.Version);
        var answer = await gateway.Public.GetAsync("/", ct);
        Assert.Equal("b|", await answer.Content.ReadAsStringAsync(ct));
        Assert.Equal("sf-1", answer.Headers.GetValues(GatewayApp.DestinationHeader).Single());
        Assert.Equal("v2", answer.Headers.GetValues(GatewayApp.VersionHeader).Single());

        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Admin.PostAsync("/admin/destinations/sf-9/drain", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Admin.DeleteAsync("/admin/destinations/sf-9", ct)).StatusCode);

        var drained = await gateway.Admin.PostAsync("/admin/destinations/sf-1/drain", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, drained.StatusCode);
        Assert.Equal("draining", (await drained.Content.ReadFromJsonAsync<Destinations.DestinationView>(ct))!.State);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gateway.Public.GetAsync("/", ct)).StatusCode);

        var reactivated = await gateway.Admin.PutAsJsonAsync("/admin/destinations/sf-1", new { address = b.Address, version = "v2", weight = 7 }, ct);
        Assert.Equal("active", (await reactivated.Content.ReadFromJsonAsync<Destinations.DestinationView>(ct))!.State);
        Assert.Equal("b|", await gateway.Public.GetStringAsync("/", ct));

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Admin.DeleteAsync("/admin/destinations/sf-1", ct)).StatusCode);
        Assert.Empty((await gateway.Admin.GetFromJsonAsync<Destinations.DestinationList>("/admin/destinations", ct))!.Destinations);
    }

    [Fact]
    public void A_missing_admin_key_or_a_bad_configured_destination_stops_the_start()
    {
        var noKey = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayApp.Create(["--Gateway:AdminUrl=http://127.0.0.1:1"]));
        Assert.Contains("AdminKey", noKey.Message, StringComparison.Ordinal);
        var badDestination = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayApp.Create(
            [$"--Gateway:AdminKey={GatewayHost.AdminKey}", "--Gateway:Destinations:sf-1:Address=nowhere", "--Gateway:Destinations:sf-1:Version=v1", "--Gateway:Destinations:sf-1:Weight=1"]));
        Assert.Contains("Destinations:sf-1:address", badDestination.Message, StringComparison.Ordinal);
    }
}
