using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Recommendations;

/// <summary>
/// Forwards confirmed orders to the recommendations service, which learns from them. A consumer like any
/// other: while the service is down, deliveries fail and are repeated (JetStream keeps them for this consumer
/// alone; the in-process bus defers them, see <see cref="DeferredDeliveries"/>), so the service catches up
/// when it is back and no other consumer waits for it.
/// </summary>
public sealed class RecommendationsFeed(RecommendationsFeedClient client) : IEventConsumer
{
    public string Name => "recommendations-feed";

    public bool Handles(string eventType) => eventType == OrderEvents.Confirmed;

    public Task HandleAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken) =>
        client.SendAsync(events.Select(e => (Event: e, Order: OrderEvents.Read(e)))
            .Select(x => new FeedEvent(x.Event.Id, x.Order.UserId, x.Event.OccurredAt, x.Order.Lines.Select(l => new FeedLine(l.ProductId, l.Quantity)).ToList()))
            .ToList(), cancellationToken);
}
