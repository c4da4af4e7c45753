using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ScaleShop.ServiceDefaults.Faults;

/// <summary>
/// How a service that stands for a dependency (the payment provider, the recommendations service) misbehaves,
/// settable at run time (<c>PUT /admin/faults</c>) by tests and chaos experiments: added latency, failures
/// before the request is processed, failures after it was processed (the answer is lost: the client cannot
/// know the operation happened, which is what idempotency keys are for), declines (the payment provider's
/// business refusal), and being down altogether. Fields left out of a PUT are zero.
/// </summary>
public sealed record FaultSettingsView(int LatencyMs, double FailureRate, double LostResponseRate, double DeclineRate, bool Down);

public sealed class FaultSettings
{
    private volatile FaultSettingsView _current = new(0, 0, 0, 0, false);

    public FaultSettingsView Current => _current;

    public void Set(FaultSettingsView settings) => _current = settings;

    public bool ShouldDecline() => Random.Shared.NextDouble() < _current.DeclineRate;
}

public static class FaultInjection
{
    public static IServiceCollection AddFaults(this IServiceCollection services) => services.AddSingleton<FaultSettings>();

    /// <summary>
    /// Applies the current faults to every <c>/v1</c> request; <paramref name="service"/> names the service in the
    /// problem details. A service injected "down" is not ready either (its <c>/health/ready</c> answers 503, as a
    /// real outage's would), while liveness and the faults API keep answering so the fault can be lifted.
    /// </summary>
    public static WebApplication UseFaults(this WebApplication app, string service)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v1"))
            {
                if (context.Request.Path.StartsWithSegments("/health/ready") && context.RequestServices.GetRequiredService<FaultSettings>().Current.Down)
                {
                    await Unavailable(context, $"{service} is down (injected).");
                    return;
                }

                await next(context);
                return;
            }

            var faults = context.RequestServices.GetRequiredService<FaultSettings>().Current;
            if (faults.LatencyMs > 0)
            {
                await Task.Delay(faults.LatencyMs, context.RequestAborted);
            }

            if (faults.Down || Random.Shared.NextDouble() < faults.FailureRate)
            {
                await Unavailable(context, $"{service} is unavailable (injected).");
                return;
            }

            if (faults.LostResponseRate <= 0 || Random.Shared.NextDouble() >= faults.LostResponseRate)
            {
                await next(context);
                return;
            }

            // Process the request, then throw its answer away.
            var original = context.Response.Body;
            context.Response.Body = Stream.Null;
            await next(context);
            context.Response.Body = original;
            context.Response.Clear();
            await Unavailable(context, "The answer was lost after the request was processed (injected).");
        });
        return app;
    }

    public static IEndpointRouteBuilder MapFaultsApi(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin/faults").WithTags("Admin");
        admin.MapGet("", (FaultSettings faults) => TypedResults.Ok(faults.Current));
        admin.MapPut("", Results<Ok<FaultSettingsView>, ValidationProblem> (FaultSettingsView settings, FaultSettings faults) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (settings.LatencyMs is < 0 or > 60_000)
            {
                errors["latencyMs"] = ["latencyMs must be between 0 and 60000."];
            }

            foreach (var (name, rate) in new[] { ("failureRate", settings.FailureRate), ("lostResponseRate", settings.LostResponseRate), ("declineRate", settings.DeclineRate) })
            {
                if (rate is < 0 or > 1)
                {
                    errors[name] = [$"{name} must be between 0 and 1."];
                }
            }

            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors);
            }

            faults.Set(settings);
            return TypedResults.Ok(settings);
        });
        return endpoints;
    }

    private static Task Unavailable(HttpContext context, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(new { type = "https://httpstatuses.io/503", title = "Service unavailable", status = 503, detail }, context.RequestAborted);
    }
}
