namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The bus on embedded defaults: publishing runs every consumer before it returns. The outbox row is deleted
/// only after that, so "published" means "applied or parked" and a crash anywhere repeats the delivery —
/// the same at-least-once contract as JetStream, without a server. A consumer whose dependency is down gets
/// its events deferred (<see cref="DeferredDeliveries"/>) rather than holding up the others.
/// </summary>
public sealed class InProcessEventBus(IEnumerable<IEventConsumer> consumers, EventConsumerRunner runner, DeferredDeliveries deferred) : IEventBus
{
    private readonly IReadOnlyList<IEventConsumer> _consumers = consumers.ToList();

    public async Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        foreach (var consumer in _consumers)
        {
            try
            {
                await runner.DeliverAsync(consumer, events, cancellationToken);
            }
            catch (ConsumerUnavailableException)
            {
                // If the catalog database cannot take them either, this throws and the outbox keeps the events.
                await deferred.DeferAsync(consumer.Name, events.Where(e => consumer.Handles(e.Type)).ToList(), cancellationToken);
            }
        }
    }
}
