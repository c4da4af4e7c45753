using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Chaos;

public sealed record ArmCheckoutCrashRequest(string? Step, int? Times);

public sealed record CheckoutFaultsView(bool Enabled, IReadOnlyDictionary<string, int> Armed);

/// <summary>Admin only: arm crashes between checkout steps (when Chaos:Enabled), see what is armed, disarm.</summary>
public static class ChaosApi
{
    private const int MaxTimes = 10_000;

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
        return api;
    }

    private static Results<Ok<CheckoutFaultsView>, ValidationProblem, ProblemHttpResult> Arm(ArmCheckoutCrashRequest request, CheckoutFaults faults)
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

        faults.Arm(step, request.Times ?? 1);
        return TypedResults.Ok(View(faults));
    }

    private static CheckoutFaultsView View(CheckoutFaults faults) =>
        new(faults.Enabled, faults.Armed.ToDictionary(a => a.Key.ToString(), a => a.Value));
}
