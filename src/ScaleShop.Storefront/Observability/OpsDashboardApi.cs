using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Observability;

/// <summary>The operations dashboard's own data: one admin-only read of the instance's operational state per refresh.</summary>
public static class OpsDashboardApi
{
    public static IEndpointRouteBuilder MapOpsDashboardApi(this IEndpointRouteBuilder app)
    {
        // Operators' reads are never shed: the dashboard matters most when the instance is overloaded.
        app.MapGroup("/api/ops").WithTags("Ops").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt)
            .MapGet("/dashboard", async Task<Ok<OpsDashboardView>> (OpsDashboard dashboard, CancellationToken ct) => TypedResults.Ok(await dashboard.ReadAsync(ct)));
        return app;
    }
}
