using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Chaos;

public sealed record ArmCheckoutCrashRequest(string? Step, int? Times);

public sealed record CheckoutFaultsView(bool Enabled, IReadOnlyDictionary<string, int> Armed);

public sealed record DependencyFaultRequest(double? FaultRate, double? LatencyRate, int? LatencyMs, double? OutcomeRate = null, int? OutcomeStatusCode = null);

public sealed record DependencyChaosView(bool Enabled, IReadOnlyCollection<string> Dependencies, IReadOnlyDictionary<string, DependencyFault> Active);

public sealed record ResilienceView(IReadOnlyDictionary<string, string> Circuits, bool ChaosEnabled, IReadOnlyDictionary<string, DependencyFault> ActiveFaults);

/// <summary>Admin only: arm crashes between checkout steps (when Chaos:Enabled), see what is armed, disarm.</summary>
public static class ChaosApi
{
    private const int MaxTimes = 10_000;
    private const int MaxLatencyMs = 600_000;

    public static RouteGroupBuilder MapChaosApi(this RouteGroupBuilder api)
    {
        var chaos = api.MapGroup("/admin/chaos").WithTags("Admin").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt);
        chaos.MapGet("/checkout", (CheckoutFaults faults) => TypedResults.Ok(View(faults)));
        chaos.MapPost("/checkout", Arm).ProducesProblem(StatusCodes.Status409Conflict);
        chaos.MapDelete("/checkout", (CheckoutFaults faults) =>
        {
            faults.DisarmAll();
            return TypedResults.Ok(View(faults));
        });
        chaos.MapGet("/dependencies", (ChaosSwitchboard switchboard) => TypedResults.Ok(View(switchboard)));
        chaos.MapPut("/dependencies/{name}", SetDependencyFault).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        chaos.MapDelete("/dependencies", (ChaosSwitchboard switchboard) =>
        {
            switchboard.ClearAll();
            return TypedResults.Ok(View(switchboard));
        });
        api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt)
            .MapGet("/resilience", (CircuitStates circuits, ChaosSwitchboard switchboard) => TypedResults.Ok(new ResilienceView(
                circuits.Snapshot().ToDictionary(c => c.Key, c => c.Value.ToString()), switchboard.Enabled, switchboard.Active())));
        return api;
    }

    private static async Task<Results<Ok<DependencyChaosView>, ValidationProblem, ProblemHttpResult>> SetDependencyFault(string name, DependencyFaultRequest request,
        ChaosSwitchboard switchboard, IEnumerable<IChaosKillSwitch> killSwitches, CancellationToken cancellationToken)
    {
        var errors = new Common.ValidationErrors();
        if (request.FaultRate is < 0 or > 1)
        {
            errors.Add("faultRate", "faultRate is a share of calls, between 0 and 1.");
        }

        if (request.LatencyRate is < 0 or > 1)
        {
            errors.Add("latencyRate", "latencyRate is a share of calls, between 0 and 1.");
        }

        if (request.LatencyMs is < 0 or > MaxLatencyMs)
        {
            errors.Add("latencyMs", $"latencyMs must be between 0 and {MaxLatencyMs}.");
        }

        if (request.OutcomeRate is < 0 or > 1)
        {
            errors.Add("outcomeRate", "outcomeRate is a share of calls, between 0 and 1.");
        }

        if (request.OutcomeStatusCode is < 400 or > 599)
        {
            errors.Add("outcomeStatusCode", "outcomeStatusCode is the status of the injected response, an error between 400 and 599.");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors);
        }

        if (!switchboard.IsKnown(name))
        {
            return Problems.NotFound($"There is no dependency {name}; known: {string.Join(", ", switchboard.Dependencies)}.");
        }

        // An injected outcome is an HTTP response: a database, the bus or Redis has none to fake.
        if ((request.OutcomeRate > 0 || request.OutcomeStatusCode is not null) && !switchboard.InjectsOutcomes(name))
        {
            var field = request.OutcomeRate > 0 ? "outcomeRate" : "outcomeStatusCode";
            return Problems.Validation(field, $"{name} is not an HTTP dependency: it has no response to inject. Outcomes apply to "
                + $"{string.Join(", ", switchboard.Dependencies.Where(switchboard.InjectsOutcomes))}; use faultRate or latency here.");
        }

        if (!switchboard.Enabled)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Chaos disabled",
                detail: "Chaos:Enabled is false on this instance; fault injection cannot be switched on.");
        }

        // Setting a dependency's rates to zero lifts a fault (one from configuration too): always allowed.
        var injects = request.FaultRate > 0 || (request.LatencyRate > 0 && request.LatencyMs > 0) || request.OutcomeRate > 0;
        if (injects && await RefusalAsync(killSwitches, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        switchboard.Set(name, new DependencyFault
        {
            FaultRate = request.FaultRate ?? 0,
            LatencyRate = request.LatencyRate ?? 0,
            LatencyMs = request.LatencyMs ?? 0,
            OutcomeRate = request.OutcomeRate ?? 0,
            OutcomeStatusCode = request.OutcomeStatusCode ?? DependencyFault.DefaultOutcomeStatusCode,
        });
        return TypedResults.Ok(View(switchboard));
    }

    private static DependencyChaosView View(ChaosSwitchboard switchboard) => new(switchboard.Enabled, switchboard.Dependencies, switchboard.Active());

    private static async Task<Results<Ok<CheckoutFaultsView>, ValidationProblem, ProblemHttpResult>> Arm(ArmCheckoutCrashRequest request, CheckoutFaults faults,
        IEnumerable<IChaosKillSwitch> killSwitches, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<CheckoutStep>(request.Step, ignoreCase: true, out var step) || !Enum.IsDefined(step))
        {
            return Problems.Validation("step", $"step must be one of {string.Join(", ", Enum.GetNames<CheckoutStep>())}.");
        }

        if (request.Times is not (>= 1 and <= MaxTimes) && request.Times is not null)
        {
            return Problems.Validation("times", $"times must be between 1 and {MaxTimes}.");
        }

        if (!faults.Enabled)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Chaos disabled",
                detail: "Chaos:Enabled is false on this instance; fault injection cannot be armed.");
        }

        if (await RefusalAsync(killSwitches, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        faults.Arm(step, request.Times ?? 1);
        return TypedResults.Ok(View(faults));
    }

    /// <summary>A 409 naming the reason when a kill switch forbids injection (removing faults is always allowed).</summary>
    private static async Task<ProblemHttpResult?> RefusalAsync(IEnumerable<IChaosKillSwitch> killSwitches, CancellationToken cancellationToken)
    {
        foreach (var killSwitch in killSwitches)
        {
            if (await killSwitch.ReasonToRefuseAsync(cancellationToken) is { } reason)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Chaos refused: incident open", detail: reason);
            }
        }

        return null;
    }

    private static CheckoutFaultsView View(CheckoutFaults faults) =>
        new(faults.Enabled, faults.Armed.ToDictionary(a => a.Key.ToString(), a => a.Value));
}
