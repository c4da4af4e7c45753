using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ScaleShop.ServiceDefaults;

/// <summary>How a process leaves (section <c>Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// After SIGTERM, how long the process keeps serving with readiness false, so the load balancer (gateway,
    /// Kubernetes endpoints) stops sending it requests before it stops listening.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Then, how long requests already in flight may take to finish before the process exits anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan InFlightTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
public sealed partial class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>;

/// <summary>
/// Graceful shutdown: on SIGTERM readiness turns false at once (this is also a readiness check), the process
/// keeps serving for <see cref="ShutdownOptions.DrainDelay"/> while traffic moves elsewhere — answering with
/// <c>Connection: close</c> so keep-alive clients reconnect through the balancer — then Kestrel stops accepting
/// and waits for the requests in flight. Runs in <c>StoppingAsync</c>, before any service (Kestrel included) stops.
/// </summary>
public sealed class GracefulShutdown(IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger) : IHostedLifecycleService, IHealthCheck
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        logger.LogInformation("Shutting down: readiness is false; serving for {DrainDelay} more while traffic drains", options.Value.DrainDelay);
        try
        {
            await Task.Delay(options.Value.DrainDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // the host's shutdown timeout ran out first: stop now
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_draining ? HealthCheckResult.Unhealthy("Draining: this instance is shutting down.") : HealthCheckResult.Healthy("Serving: not shutting down."));

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class GracefulShutdownExtensions
{
    /// <summary>While draining, every answer closes its connection, so a keep-alive client's next request goes through the balancer again.</summary>
    public static WebApplication UseGracefulShutdown(this WebApplication app)
    {
        var shutdown = app.Services.GetRequiredService<GracefulShutdown>();
        app.Use((context, next) =>
        {
            if (shutdown.IsDraining)
            {
                context.Response.Headers.Connection = "close";
            }

            return next(context);
        });
        return app;
    }
}
