using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;

namespace ScaleShop.Storefront.Admin;

public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AccountsExtensions.AdminPolicy);
        admin.MapPut("/products/{id:long}", UpdateProduct).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<Product>, ValidationProblem, ProblemHttpResult>> UpdateProduct(
        long id, ProductUpdate update, ProductAdministration administration, CancellationToken cancellationToken) =>
        await administration.UpdateAsync(id, update, cancellationToken) switch
        {
            ProductUpdateOutcome.Updated updated => TypedResults.Ok(updated.Product),
            ProductUpdateOutcome.Invalid invalid => Problems.Validation(invalid.Errors),
            _ => Problems.NotFound($"There is no product {id}."),
        };
}

public static class AdminExtensions
{
    public static IServiceCollection AddAdmin(this IServiceCollection services) => services.AddSingleton<ProductAdministration>();
}
