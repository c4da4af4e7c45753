using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace ScaleShop.ServiceDefaults.Health;

/// <summary>How the probes run (section <c>Health</c>).</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>
    /// How long one check may take before it counts as failed (with its own failure status): a hung database or
    /// service cannot hang the probe. Below the usual probe timeout of an orchestrator (Kubernetes: 1 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromMilliseconds(800);
}

[OptionsValidator]
public sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>;

/// <summary>
/// The three probes every process serves. <c>/health/live</c>: the process runs (restart it otherwise).
/// <c>/health/startup</c>: its start-up work is done (until then liveness is not asked). <c>/health/ready</c>:
/// send it traffic; every check but the liveness one, each reported by name in the JSON body. Healthy and
/// Degraded answer 200, Unhealthy 503: a dependency the process degrades around reports Degraded, so an
/// instance never leaves the load balancer because a third party is down.
/// </summary>
public static class HealthProbes
{
    public const string LivePath = "/health/live";
    public const string StartupPath = "/health/startup";
    public const string ReadyPath = "/health/ready";

    /// <summary>Checks that say only "the process runs".</summary>
    public const string LiveTag = "live";

    /// <summary>Checks that say "start-up work is done"; readiness includes them too.</summary>
    public const string StartupTag = "startup";

    public static IHealthChecksBuilder AddHealthProbes(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddSingleton<StartupWork>();
        // After every registration is known (features add theirs later, some while options are resolved): a
        // check without a timeout of its own gets the configured one.
        services.AddOptions<HealthCheckServiceOptions>().PostConfigure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var registration in checks.Registrations.Where(r => r.Timeout == Timeout.InfiniteTimeSpan))
            {
                registration.Timeout = health.Value.CheckTimeout;
            }
        });
        return services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process runs."), [LiveTag])
            .AddCheck<StartupWork>("startup", tags: [StartupTag]);
    }

    public static IEndpointRouteBuilder MapHealthProbes(this IEndpointRouteBuilder endpoints)
    {
        // Probes are not traffic: they stay out of the request metrics that SLOs are computed from.
        Map(endpoints, LivePath, check => check.Tags.Contains(LiveTag)).DisableHttpMetrics();
        Map(endpoints, StartupPath, check => check.Tags.Contains(StartupTag)).DisableHttpMetrics();
        Map(endpoints, ReadyPath, check => !check.Tags.Contains(LiveTag)).DisableHttpMetrics();
        return endpoints;
    }

    /// <summary>
    /// As MapHealthChecks, with telemetry suppressed for the whole probe: the database queries and HTTP calls of
    /// a check every few seconds from every orchestrator would otherwise be most of the traces collected.
    /// </summary>
    private static IEndpointConventionBuilder Map(IEndpointRouteBuilder endpoints, string path, Func<HealthCheckRegistration, bool> predicate)
    {
        var options = new HealthCheckOptions { Predicate = predicate, ResponseWriter = WriteJsonAsync };
        var pipeline = endpoints.CreateApplicationBuilder()
            .Use(async (context, next) =>
            {
                using var suppressed = SuppressInstrumentationScope.Begin();
                await next(context);
            })
            .UseMiddleware<HealthCheckMiddleware>(Options.Create(options))
            .Build();
        return endpoints.Map(path, pipeline).WithDisplayName(path);
    }

    /// <summary><c>{ status, durationMs, checks: [{ name, status, description, durationMs }] }</c>, written without reflection.</summary>
    public static async Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description ?? entry.Exception?.Message);
            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}

/// <summary>
/// Start-up work a process must finish before it takes traffic (the storefront's migrations and seeding).
/// Healthy once the host has started and no work begun with <see cref="Begin"/> is still running.
/// </summary>
public sealed class StartupWork(IHostApplicationLifetime lifetime) : IHealthCheck
{
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);

    /// <summary>Marks <paramref name="name"/> as running until the returned scope is disposed.</summary>
    public IDisposable Begin(string name)
    {
        lock (_running)
        {
            _running.Add(name);
        }

        return new Scope(this, name);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        return Task.FromResult(
            running.Length > 0 ? HealthCheckResult.Unhealthy("Starting: " + string.Join(", ", running) + ".")
            : !lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Unhealthy("Starting: the host has not started yet.")
            : HealthCheckResult.Healthy("Start-up work is done."));
    }

    private sealed class Scope(StartupWork owner, string name) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._running)
            {
                owner._running.Remove(name);
            }
        }
    }
}
