using System.Text.Json;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The order events' contract, shared by the publisher (Orders) and consumers (Recommendations, ...), which
/// never reference each other. Each event carries everything a consumer needs (self-contained), so consumers
/// do not depend on the order of delivery.
/// </summary>
public static class OrderEvents
{
    public const string Placed = "order.placed";
    public const string Confirmed = "order.confirmed";
    public const string Cancelled = "order.cancelled";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize(OrderEventPayload payload) => JsonSerializer.Serialize(payload, Json);

    /// <summary>Reads an order event; an unreadable one is poison (no retry can read it).</summary>
    public static OrderEventPayload Read(IntegrationEvent @event)
    {
        try
        {
            return JsonSerializer.Deserialize<OrderEventPayload>(@event.Payload, Json) is { Lines: not null } payload
                ? payload
                : throw new PoisonEventException(@event.Id, $"Event {@event.Id} ({@event.Type}) has no order lines.");
        }
        catch (JsonException exception)
        {
            throw new PoisonEventException(@event.Id, $"Event {@event.Id} ({@event.Type}) is not an order event: {exception.Message}", exception);
        }
    }
}

public sealed record OrderEventLine(long ProductId, int Quantity, long UnitPriceCents);

public sealed record OrderEventPayload(long OrderId, long UserId, string Status, long TotalCents, string Currency, string? PaymentId, string? Reason, IReadOnlyList<OrderEventLine> Lines);
