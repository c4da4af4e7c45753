using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Cart;

public sealed record SetQuantityRequest(int? Quantity);

public static class CartApi
{
    public static RouteGroupBuilder MapCartApi(this RouteGroupBuilder api)
    {
        var cart = api.MapGroup("/cart").WithTags("Cart").RequireAuthorization(AccountsExtensions.UserPolicy).WithJourney(Journeys.Cart);
        cart.MapGet("", Get);
        cart.MapPut("/items/{productId:long}", SetQuantity).ProducesProblem(StatusCodes.Status404NotFound);
        cart.MapDelete("/items/{productId:long}", Remove);
        return api;
    }

    private static async Task<Ok<CartView>> Get(ClaimsPrincipal user, CartService cart, CancellationToken cancellationToken) =>
        TypedResults.Ok(await cart.GetAsync(user.UserId()!.Value, cancellationToken));

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> SetQuantity(
        long productId, SetQuantityRequest request, ClaimsPrincipal user, CartService cart, CancellationToken cancellationToken) =>
        await cart.SetQuantityAsync(user.UserId()!.Value, productId, request.Quantity, cancellationToken) switch
        {
            CartChangeOutcome.Changed changed => TypedResults.Ok(changed.Cart),
            CartChangeOutcome.Invalid invalid => Problems.Validation(invalid.Errors),
            CartChangeOutcome.UnknownProduct unknown => Problems.NotFound($"There is no product {unknown.ProductId}."),
            _ => throw new InvalidOperationException("Unhandled cart outcome."),
        };

    private static async Task<Ok<CartView>> Remove(long productId, ClaimsPrincipal user, CartService cart, CancellationToken cancellationToken) =>
        TypedResults.Ok(await cart.RemoveAsync(user.UserId()!.Value, productId, cancellationToken));
}
