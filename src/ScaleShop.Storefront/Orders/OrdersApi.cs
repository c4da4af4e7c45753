using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Orders;

public sealed record PlaceOrderRequest(IReadOnlyList<OrderItemInput?>? Items);

public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static RouteGroupBuilder MapOrdersApi(this RouteGroupBuilder api)
    {
        var orders = api.MapGroup("").WithTags("Orders").RequireAuthorization(AccountsExtensions.UserPolicy).WithJourney(Journeys.Checkout);
        orders.MapPost("/orders", Place).WithPriority(RequestPriority.Critical).ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        orders.MapPost("/cart/checkout", Checkout).WithPriority(RequestPriority.Critical).ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        orders.MapGet("/orders", List);
        orders.MapGet("/orders/{id}", Get).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Created<Order>, Accepted<Order>, ValidationProblem, ProblemHttpResult>> Place(
        PlaceOrderRequest request, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user, OrderService orders, IOptions<OrdersOptions> options, HttpContext http, CancellationToken cancellationToken)
    {
        var (parsed, errors) = OrderInput.Parse(request.Items, options.Value);
        if (parsed is null)
        {
            return Problems.Validation(errors);
        }

        return ToResult(await orders.PlaceAsync(user.UserId()!.Value, idempotencyKey, parsed, cancellationToken), http);
    }

    private static async Task<Results<Created<Order>, Accepted<Order>, ValidationProblem, ProblemHttpResult>> Checkout(
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, ClaimsPrincipal user, OrderService orders, HttpContext http, CancellationToken cancellationToken) =>
        ToResult(await orders.PlaceAsync(user.UserId()!.Value, idempotencyKey, new OrderRequest([], FromCart: true), cancellationToken), http);

    private static async Task<Results<Ok<Page<Order>>, ValidationProblem>> List(
        int? limit, string? after, ClaimsPrincipal user, OrderStore orders, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(limit, after, partsInCursor: 1, options.Value, errors);
        var beforeId = long.MaxValue;
        if (page.After is [var cursor] && (!Cursor.TryReadLong(cursor, out beforeId) || beforeId <= 0))
        {
            errors.Add("after", "after is not a cursor this list returned.");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors);
        }

        var rows = await orders.ListAsync(user.UserId()!.Value, beforeId, page.Limit + 1, cancellationToken);
        return TypedResults.Ok(rows.Count > page.Limit
            ? new Page<Order>(rows.Take(page.Limit).ToList(), Cursor.Encode(long.Parse(rows[page.Limit - 1].Id, System.Globalization.CultureInfo.InvariantCulture)))
            : new Page<Order>(rows, null));
    }

    private static async Task<Results<Ok<Order>, ProblemHttpResult>> Get(string id, ClaimsPrincipal user, OrderStore orders, CancellationToken cancellationToken)
    {
        // An unparsable id and another user's order get the same answer: no hint that an id exists.
        var order = ShardedId.TryParse(id, out var orderId) ? await orders.GetAsync(user.UserId()!.Value, orderId, cancellationToken) : null;
        return order is null ? Problems.NotFound($"You have no order {id}.") : TypedResults.Ok(order);
    }

    private static Results<Created<Order>, Accepted<Order>, ValidationProblem, ProblemHttpResult> ToResult(PlaceOrderOutcome outcome, HttpContext http)
    {
        switch (outcome)
        {
            case PlaceOrderOutcome.Placed placed:
                if (placed.Replayed)
                {
                    http.Response.Headers[ReplayedHeader] = "true";
                }

                // A replay answers with the order's state now: a 202 retried later may come back 201.
                var location = $"/api/v1/orders/{placed.Order.Id}";
                switch (placed.Order.Status)
                {
                    case OrderStatus.Confirmed:
                        return TypedResults.Created(location, placed.Order);
                    case OrderStatus.PendingPayment:
                        http.Response.Headers.RetryAfter = "1";
                        return TypedResults.Accepted(location, placed.Order);
                    default:
                        http.Response.Headers.Location = location;
                        return TypedResults.Problem(statusCode: StatusCodes.Status402PaymentRequired, title: "Payment not accepted",
                            detail: $"Order {placed.Order.Id} was cancelled ({placed.Order.StatusReason}); nothing was charged and the stock was released.",
                            extensions: new Dictionary<string, object?> { ["orderId"] = placed.Order.Id, ["orderStatus"] = placed.Order.Status, ["reason"] = placed.Order.StatusReason });
                }
            case PlaceOrderOutcome.Invalid invalid:
                return Problems.Validation(invalid.Errors);
            case PlaceOrderOutcome.InsufficientStock shortage:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Insufficient stock",
                    detail: $"Product {shortage.ProductId} has {shortage.Available} in stock; {shortage.Requested} requested.",
                    extensions: new Dictionary<string, object?> { ["productId"] = shortage.ProductId, ["available"] = shortage.Available });
            case PlaceOrderOutcome.KeyReusedForAnotherRequest:
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                    detail: "This Idempotency-Key was used for a different request; use a new key for a new order.",
                    extensions: new Dictionary<string, object?> { ["field"] = IdempotencyKeyHeader });
            case PlaceOrderOutcome.StillInProgress inProgress:
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(inProgress.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request in progress",
                    detail: "A request with this Idempotency-Key is still being processed; retry shortly.",
                    extensions: new Dictionary<string, object?> { ["field"] = IdempotencyKeyHeader });
            default:
                throw new InvalidOperationException("Unhandled order outcome.");
        }
    }
}
