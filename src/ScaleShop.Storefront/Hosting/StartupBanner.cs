using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ScaleShop.Storefront.Hosting;

/// <summary>Tells the person who ran the quick start where to point a browser or curl.</summary>
public sealed class StartupBanner(IServer server, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                logger.LogInformation("ScaleShop storefront is ready: {Address}/api/v1/products (OpenAPI: {Address}/openapi/v1.json)", address, address);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
