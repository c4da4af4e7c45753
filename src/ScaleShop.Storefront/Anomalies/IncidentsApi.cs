using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Anomalies;

public sealed record IncidentList(IReadOnlyList<Incident> Items);

/// <summary>Operators' view of incidents: list, read, acknowledge (someone is on it), resolve (it is over).</summary>
public static class IncidentsApi
{
    private const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapIncidentsApi(this IEndpointRouteBuilder endpoints)
    {
        var incidents = endpoints.MapGroup("/api/ops/incidents").WithTags("Operations").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt);
        incidents.MapGet("", List);
        incidents.MapGet("/{id:long}", async Task<Results<Ok<Incident>, ProblemHttpResult>> (long id, IncidentStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } incident ? TypedResults.Ok(incident) : Problems.NotFound($"There is no incident {id}."))
            .ProducesProblem(StatusCodes.Status404NotFound);
        incidents.MapPost("/{id:long}/acknowledge", (long id, IncidentStore store, ClaimsPrincipal user, CancellationToken ct) =>
            TransitionAsync(id, IncidentStatuses.Acknowledged, store, user, ct)).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        incidents.MapPost("/{id:long}/resolve", (long id, IncidentStore store, ClaimsPrincipal user, CancellationToken ct) =>
            TransitionAsync(id, IncidentStatuses.Resolved, store, user, ct)).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<Results<Ok<IncidentList>, ValidationProblem>> List(string? status, int? limit, IncidentStore store, CancellationToken cancellationToken)
    {
        if (status is not (null or "active" or "all"))
        {
            return Problems.Validation("status", "status must be 'active' (default) or 'all'.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Validation("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        return TypedResults.Ok(new IncidentList(await store.ListAsync(status != "all", limit ?? 50, cancellationToken)));
    }

    private static async Task<Results<Ok<Incident>, ProblemHttpResult>> TransitionAsync(long id, string status, IncidentStore store, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var by = user.FindFirstValue(ClaimTypes.Email) ?? user.FindFirstValue("email") ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "admin";
        if (await store.TransitionAsync(id, status, by, cancellationToken))
        {
            return TypedResults.Ok((await store.GetAsync(id, cancellationToken))!);
        }

        return await store.GetAsync(id, cancellationToken) is { } incident
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Incident unchanged", detail: $"Incident {id} is {incident.Status}; it cannot become {status}.")
            : Problems.NotFound($"There is no incident {id}.");
    }
}
