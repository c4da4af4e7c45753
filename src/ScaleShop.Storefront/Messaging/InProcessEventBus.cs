namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The bus on embedded defaults: publishing runs every consumer before it returns. The outbox row is deleted
/// only after that, so "published" means "applied or parked" and a crash anywhere repeats the delivery —
/// the same at-least-once contract as JetStream, without a server.
/// </summary>
public sealed class InProcessEventBus(IEnumerable<IEventConsumer> consumers, EventConsumerRunner runner) : IEventBus
{
    private readonly IReadOnlyList<IEventConsumer> _consumers = consumers.ToList();

    public async Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        foreach (var consumer in _consumers)
        {
            await runner.DeliverAsync(consumer, events, cancellationToken);
        }
    }
}
