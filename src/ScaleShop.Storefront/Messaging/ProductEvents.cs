using System.Text.Json;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The catalog's events, written to the catalog database's outbox in the transaction of the change. Each
/// carries the product's version and the text a read model needs, so a consumer can apply it alone and can
/// tell a late, older change from the newest.
/// </summary>
public static class ProductEvents
{
    public const string Changed = "product.changed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize(ProductChanged payload) => JsonSerializer.Serialize(payload, Json);

    /// <summary>Reads a product event; an unreadable one is poison (no retry can read it).</summary>
    public static ProductChanged Read(IntegrationEvent @event)
    {
        try
        {
            return JsonSerializer.Deserialize<ProductChanged>(@event.Payload, Json) is { Name: not null, Description: not null } payload
                ? payload
                : throw new PoisonEventException(@event.Id, $"Event {@event.Id} ({@event.Type}) has no product text.");
        }
        catch (JsonException exception)
        {
            throw new PoisonEventException(@event.Id, $"Event {@event.Id} ({@event.Type}) is not a product event: {exception.Message}", exception);
        }
    }
}

public sealed record ProductChanged(long ProductId, long Version, string Name, string Description);
