using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>The receivers' server: real Kestrel on 127.0.0.1, on a port Kestrel picks (no race with other test processes).</summary>
public static class LoopbackServer
{
    /// <summary>Starts a server with the routes <paramref name="map"/> adds; returns it and its address.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        // Under the test-host gate: built beside a WebApplicationFactory's start, it would be taken for the factory's host.
        var app = TestHostStarts.Build(builder.Build);
        map(app);
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
