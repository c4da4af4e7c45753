using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;
using ScaleShop.Gateway.Admin;
using ScaleShop.Gateway.Destinations;
using ScaleShop.Gateway.Proxy;
using ScaleShop.Gateway.Traffic;
using ScaleShop.ServiceDefaults;

namespace ScaleShop.Gateway;

/// <summary>
/// The gateway: YARP in front of N storefront instances. Public listener: every path to the cluster
/// <c>storefront</c> (weighted balancing, health checks, retries of idempotent work) besides the gateway's own
/// probes and /metrics; admin listener: the destinations and traffic API the deploy controller calls.
/// </summary>
public static class GatewayApp
{
    public const string DestinationHeader = "X-ScaleShop-Destination";
    public const string VersionHeader = "X-ScaleShop-Version";

    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.Services.AddGateway(builder.Configuration);

        // Both listeners: the public one from Gateway:PublicUrl, else the host's urls setting; the admin one apart.
        var section = builder.Configuration.GetSection(GatewayOptions.SectionName);
        var publicUrl = section[nameof(GatewayOptions.PublicUrl)] ?? builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? GatewayOptions.DefaultPublicUrl;
        var adminUrl = section[nameof(GatewayOptions.AdminUrl)] ?? new GatewayOptions().AdminUrl;
        builder.WebHost.UseUrls([.. publicUrl.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), adminUrl]);

        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value; // validated here: a bad setting stops the start
        app.UseProblemDetailsForErrors();
        app.UseGracefulShutdown();
        app.MapDefaultEndpoints();
        app.MapAdminApi(options);
        app.MapReverseProxy(proxy =>
        {
            var attempts = proxy.ApplicationServices.GetRequiredService<ProxyAttempts>();
            var adminPort = new Uri(options.AdminUrl).Port;
            proxy.Use((context, next) =>
            {
                if (context.Connection.LocalPort == adminPort)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound; // the admin port proxies nothing
                    return Task.CompletedTask;
                }

                return attempts.InvokeAsync(context, next);
            });
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsRulesValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<TrafficRecorder>();
        services.AddSingleton<ProxyAttempts>();
        services.AddSingleton<DestinationCatalog>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<DestinationCatalog>());
        services.AddSingleton<ILoadBalancingPolicy, WeightedLoadBalancingPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, TransportFailuresHealthPolicy>();
        services.AddReverseProxy().AddTransforms(transforms => transforms.AddResponseTransform(context =>
        {
            if (context.ProxyResponse is not null && context.HttpContext.GetReverseProxyFeature().ProxiedDestination is { } destination)
            {
                context.HttpContext.Response.Headers[DestinationHeader] = destination.DestinationId;
                context.HttpContext.Response.Headers[VersionHeader] = DestinationInfo.Of(destination).Version;
            }

            return ValueTask.CompletedTask;
        }));
        services.AddHealthChecks().AddCheck<DestinationsHealthCheck>("destinations");
        return services;
    }
}

/// <summary>
/// The gateway's own readiness: Healthy while at least one destination takes requests; Degraded (still 200: the
/// gateway itself works and the controller may be adding instances) when none does.
/// </summary>
public sealed class DestinationsHealthCheck(IProxyStateLookup state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var available = state.TryGetCluster(DestinationCatalog.ClusterId, out var cluster)
            ? cluster.DestinationsState.AvailableDestinations.Count(destination => DestinationInfo.Of(destination).TakesNewRequests)
            : 0;
        return Task.FromResult(available > 0
            ? HealthCheckResult.Healthy($"{available} destination(s) take requests.")
            : HealthCheckResult.Degraded("No destination takes requests."));
    }
}
