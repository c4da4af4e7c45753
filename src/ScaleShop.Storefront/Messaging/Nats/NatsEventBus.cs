using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

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
        var acks = await Task.WhenAll(events.Select(e => MessagingTelemetry.Source.HasListeners() ? TracedPublishAsync(e, deadline.Token) : PublishAsync(e, deadline.Token).AsTask()));
        foreach (var ack in acks.Where(a => !a.Duplicate))
        {
            ack.EnsureSuccess(); // a duplicate is stored already: that is success here, not the client's exception
        }
    }

    private ValueTask<PubAckResponse> PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken) =>
        streams.JetStream.PublishAsync(streams.EventSubject(@event.Type), NatsEventHeaders.Body(@event), headers: NatsEventHeaders.Of(@event), cancellationToken: cancellationToken);

    // Async so that the event's trace is current for its publish alone.
    private async Task<PubAckResponse> TracedPublishAsync(IntegrationEvent @event, CancellationToken cancellationToken)
    {
        using var trace = MessagingTelemetry.ContinueEventTrace(@event);
        return await PublishAsync(@event, cancellationToken);
    }
}
