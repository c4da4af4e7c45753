using NATS.Client.JetStream;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Publishes to <c>{prefix}.events.{type}</c> and returns only when JetStream has stored every event (its PubAck).
/// Any failure throws, so the dispatcher keeps the outbox rows and publishes them again; the repeat of an event
/// already stored is dropped by JetStream within the duplicate window (Nats-Msg-Id = event id).
/// </summary>
public sealed class NatsEventBus(NatsStreams streams) : IEventBus
{
    public async Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await streams.EnsureAsync(cancellationToken);
        using var deadline = streams.Deadline(cancellationToken);
        // Concurrently: the client pipelines the publishes and the acks come back in one round trip, not one each.
        var acks = await Task.WhenAll(events.Select(e => streams.JetStream.PublishAsync(
            streams.EventSubject(e.Type), NatsEventHeaders.Body(e), headers: NatsEventHeaders.Of(e), cancellationToken: deadline.Token).AsTask()));
        foreach (var ack in acks.Where(a => !a.Duplicate))
        {
            ack.EnsureSuccess(); // a duplicate is stored already: that is success here, not the client's exception
        }
    }
}
