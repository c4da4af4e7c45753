using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Gateway.Destinations;
using ScaleShop.Gateway.Traffic;

namespace ScaleShop.Gateway.Tests;

/// <summary>A destination given to the gateway in its configuration at start.</summary>
public sealed record Seed(string Id, Backend Backend, string Version, int Weight);

/// <summary>The real gateway (its Program's composition) on two free loopback ports, with a public and an admin client.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";

    private GatewayHost(WebApplication app, Uri publicAddress, Uri adminAddress)
    {
        App = app;
        Public = new HttpClient { BaseAddress = publicAddress };
        Admin = new HttpClient { BaseAddress = adminAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public WebApplication App { get; }

    public HttpClient Public { get; }

    /// <summary>A client of the admin port carrying the admin key.</summary>
    public HttpClient Admin { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<GatewayHost> StartAsync(IEnumerable<Seed> destinations, params (string Key, string Value)[] settings)
    {
        // The admin port must be known before the start (the gateway tells its listeners apart by it); the public
        // one is Kestrel's choice.
        const string publicUrl = "http://127.0.0.1:0";
        var adminUrl = $"http://127.0.0.1:{Backend.FreePort()}";
        var config = new Dictionary<string, string>
        {
            ["environment"] = "Testing",
            ["Gateway:PublicUrl"] = publicUrl,
            ["Gateway:AdminUrl"] = adminUrl,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:ActiveHealthCheckInterval"] = "00:00:00.200",
            ["Gateway:ActiveHealthCheckTimeout"] = "00:00:00.500",
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Yarp"] = "Critical",
            ["Logging:LogLevel:ScaleShop.Gateway"] = "Warning",
        };
        foreach (var seed in destinations)
        {
            config[$"Gateway:Destinations:{seed.Id}:Address"] = seed.Backend.Address.ToString();
            config[$"Gateway:Destinations:{seed.Id}:Version"] = seed.Version;
            config[$"Gateway:Destinations:{seed.Id}:Weight"] = seed.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        var app = GatewayApp.Create([.. config.Select(pair => $"--{pair.Key}={pair.Value}")]);
        await app.StartAsync();
        var admin = new Uri(adminUrl);
        var publicAddress = app.Urls.Select(url => new Uri(url)).Single(url => url.Port != admin.Port);
        return new GatewayHost(app, publicAddress, admin);
    }

    public async Task<DestinationView> DestinationAsync(string id)
    {
        var list = await Admin.GetFromJsonAsync<DestinationList>("/admin/destinations");
        return list!.Destinations.Single(destination => destination.Id == id);
    }

    public async Task<TrafficReport> TrafficAsync() => (await Admin.GetFromJsonAsync<TrafficReport>("/admin/traffic"))!;

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Admin.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public static class Poll
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Asks until <paramref name="condition"/> holds; fails after a generous deadline (a busy machine is slow, not broken).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(25);
        }
    }
}
