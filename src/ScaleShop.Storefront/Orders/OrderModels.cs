using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Orders;

/// <summary>
/// An order's life: written <see cref="PendingPayment"/> (stock already taken), then paid and
/// <see cref="Confirmed"/>, or <see cref="Cancelled"/> (stock given back, any capture refunded). Only
/// pending_payment ever changes, and only by a conditional update, so an order settles once.
/// </summary>
public static class OrderStatus
{
    public const string PendingPayment = "pending_payment";
    public const string Confirmed = "confirmed";
    public const string Cancelled = "cancelled";
}

/// <summary>Why an order was cancelled (<see cref="Order.StatusReason"/>).</summary>
public static class CancellationReason
{
    public const string PaymentDeclined = "payment_declined";
    public const string PaymentRejected = "payment_rejected";
    public const string PaymentTimedOut = "payment_timed_out";
}

public sealed record OrderLine(long ProductId, string Name, int Quantity, decimal UnitPrice);

public sealed record Order(string Id, string Status, IReadOnlyList<OrderLine> Items, decimal Total, string Currency, DateTimeOffset CreatedAt, string? StatusReason = null);

/// <summary>What the client asked for: explicit lines (POST /orders) or the cart's contents (checkout).</summary>
public sealed record OrderRequest(IReadOnlyList<StockRequest> Lines, bool FromCart);

public abstract record PlaceOrderOutcome
{
    public sealed record Placed(Order Order, bool Replayed) : PlaceOrderOutcome;

    public sealed record Invalid(ValidationErrors Errors) : PlaceOrderOutcome;

    public sealed record InsufficientStock(long ProductId, int Requested, int Available) : PlaceOrderOutcome;

    public sealed record KeyReusedForAnotherRequest : PlaceOrderOutcome;

    public sealed record StillInProgress(TimeSpan RetryAfter) : PlaceOrderOutcome;

    public static PlaceOrderOutcome InvalidField(string field, string message) => new Invalid(ValidationErrors.For(field, message));
}

internal static class OrderMapping
{
    public static Order ToOrder(long id, string status, long totalCents, string currency, long createdAt, IEnumerable<OrderLine> lines, string? statusReason = null) =>
        new(id.ToString(System.Globalization.CultureInfo.InvariantCulture), status, lines.ToList(), Money.FromCents(totalCents), currency,
            DateTimeOffset.FromUnixTimeMilliseconds(createdAt), statusReason);
}

public sealed record OrderItemInput(long? ProductId, int? Quantity);

public static class OrderInput
{
    /// <summary>Checks the lines of POST /orders; field names are the JSON paths the client sent.</summary>
    public static (OrderRequest? Request, ValidationErrors Errors) Parse(IReadOnlyList<OrderItemInput?>? items, OrdersOptions limits)
    {
        var errors = new ValidationErrors();
        if (items is null || items.Count == 0 || items.Count > limits.MaxLines)
        {
            errors.Add("items", $"items must hold between 1 and {limits.MaxLines} lines.");
            return (null, errors);
        }

        var lines = new List<StockRequest>(items.Count);
        var seen = new HashSet<long>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item?.ProductId is not > 0)
            {
                errors.Add($"items[{i}].productId", "productId must be a positive product id.");
            }
            else if (!seen.Add(item.ProductId.Value))
            {
                errors.Add($"items[{i}].productId", "Each product may appear once; set its quantity instead.");
            }

            if (item?.Quantity is not { } quantity || quantity < 1 || quantity > limits.MaxQuantityPerLine)
            {
                errors.Add($"items[{i}].quantity", $"quantity must be between 1 and {limits.MaxQuantityPerLine}.");
            }

            if (errors.IsEmpty)
            {
                lines.Add(new StockRequest(item!.ProductId!.Value, item.Quantity!.Value));
            }
        }

        return errors.IsEmpty ? (new OrderRequest(lines, FromCart: false), errors) : (null, errors);
    }
}
