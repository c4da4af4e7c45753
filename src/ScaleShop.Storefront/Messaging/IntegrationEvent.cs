namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// An event as the outbox stores it and the bus carries it. <see cref="Id"/> is a sharded id of the user's
/// logical shard: unique across the shop, time-ordered, and the key every consumer deduplicates on.
/// <see cref="TraceParent"/> is the W3C trace context of the request that wrote it (null when none was traced),
/// so a consumer's work joins the trace of the checkout that caused it.
/// </summary>
public sealed record IntegrationEvent(long Id, string Type, long UserId, string Payload, DateTimeOffset OccurredAt, string? TraceParent = null);

/// <summary>Publishes events at least once. Returns when the bus has taken responsibility for every event given.</summary>
public interface IEventBus
{
    Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// Applies events to some state (a projection, a side effect). Must be idempotent per event id: record the ids
/// it applied in the transaction that applies them (<see cref="ProcessedEvents"/>), because every bus here
/// delivers at least once.
/// </summary>
public interface IEventConsumer
{
    /// <summary>Stable name: the durable consumer's name, the key of its processed-event records and dead letters.</summary>
    string Name { get; }

    bool Handles(string eventType);

    /// <summary>Applies a batch. Throw <see cref="PoisonEventException"/> for an event no retry can apply.</summary>
    Task HandleAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken);
}

/// <summary>An event that cannot be applied however often it is tried (unreadable, or against an invariant): parked at once.</summary>
public sealed class PoisonEventException(long eventId, string message, Exception? inner = null) : Exception(message, inner)
{
    public long EventId { get; } = eventId;
}

/// <summary>An event a consumer could not apply, parked for an operator to inspect and replay.</summary>
public sealed record DeadLetter(string Id, string Consumer, IntegrationEvent Event, string Error, int Attempts, DateTimeOffset ParkedAt);

/// <summary>Where poison events wait for an operator: a table on embedded defaults, a JetStream stream with NATS.</summary>
public interface IDeadLetterQueue
{
    Task ParkAsync(string consumer, IntegrationEvent @event, string error, int attempts, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken);

    Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Removes a dead letter (after a successful replay); false when it was not there.</summary>
    Task<bool> RemoveAsync(string id, CancellationToken cancellationToken);
}
