using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ScaleShop.ServiceDefaults.Health;

namespace ScaleShop.ServiceDefaults;

/// <summary>
/// What every ScaleShop process shares: telemetry, health endpoints, problem details for every error, and
/// a resilience pipeline on every outgoing HTTP call. One call in each Program.cs.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthProbes(builder.Configuration);
        builder.AddGracefulShutdown();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier));
        builder.Services.AddExceptionHandler<BadRequestProblemHandler>();
        // Minimal APIs answer a body they cannot bind with an empty 400 unless told to throw; throwing lets
        // BadRequestProblemHandler name the offending field.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // Web defaults read "12" as the number 12; an API that names wrongly typed fields must not.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        return builder;
    }

    /// <summary>Readiness false on SIGTERM, a drain delay, then in-flight requests finish (see <see cref="GracefulShutdown"/>).</summary>
    public static TBuilder AddGracefulShutdown<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ShutdownOptions>().Bind(builder.Configuration.GetSection(ShutdownOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>();
        builder.Services.AddSingleton<GracefulShutdown>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GracefulShutdown>());
        builder.Services.AddHealthChecks().AddCheck<GracefulShutdown>("shutdown");
        builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = shutdown.Value.DrainDelay + shutdown.Value.InFlightTimeout);
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Every log entry carries the trace and span of the request that wrote it, so a log line leads to its
        // trace and a trace to its logs. Outside development the console writes one JSON object per line, which
        // log shippers read without parsing rules; a developer's terminal keeps the readable format.
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("ScaleShop.*")
                .AddMeter("Polly") // resilience events of every pipeline: retries, breaker transitions, timeouts, injected faults
                .AddMeter(NpgsqlTelemetryName) // connection pools and command durations, where a process uses PostgreSQL
                .AddPrometheusExporter()) // scraped at /metrics (MapDefaultEndpoints)
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, "ScaleShop.*")
                .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddSource(NpgsqlTelemetryName));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Npgsql's own ActivitySource and Meter (a span per command, with the database and statement): what the
    /// Npgsql.OpenTelemetry package would add, without making every process depend on the driver.
    /// </summary>
    public const string NpgsqlTelemetryName = "Npgsql";

    /// <summary>
    /// The probes (<see cref="HealthProbes"/>: /health/live, /health/startup, /health/ready with each check in
    /// its JSON body) and /metrics: every meter of the process in Prometheus' text format, for a scraper on the
    /// internal network (a gateway in front of the public site does not route it).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthProbes();
        // Scrapes are not traffic either: they stay out of the request metrics that SLOs are computed from.
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath).DisableHttpMetrics();
        return endpoints;
    }

    /// <summary>Problem details for everything: unhandled exceptions and bare status codes (401, 403, 404, 405).</summary>
    public static WebApplication UseProblemDetailsForErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
