using Dapper;
using Microsoft.Extensions.Options;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The in-process bus's per-consumer backlog. Publishing runs every consumer in turn; one whose dependency is
/// down (<see cref="ConsumerUnavailableException"/>) must not hold the outbox, and with it every other
/// consumer, until that dependency returns. Its events are deferred here instead (in the catalog database, in
/// the same breath as the publish, so the outbox row is deleted only once they are safe) and redelivered to
/// it alone, oldest first, with exponential backoff, until it takes them. Consumers are idempotent and do not
/// depend on the order of events, so a deferred event arriving after newer ones is harmless.
/// </summary>
public sealed class DeferredDeliveries(IDatabaseRouter databases, TimeProvider time)
{
    public async Task DeferAsync(string consumer, IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO deferred_deliveries (consumer, event_id, event_type, user_id, payload, occurred_at, deferred_at)
            VALUES (@consumer, @Id, @Type, @UserId, @Payload, @occurredAt, @now)
            ON CONFLICT (consumer, event_id) DO NOTHING
            """,
            events.Select(e => new { consumer, e.Id, e.Type, e.UserId, e.Payload, occurredAt = e.OccurredAt.ToUnixTimeMilliseconds(), now }),
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The oldest events deferred for <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<IntegrationEvent>> OldestAsync(string consumer, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT event_id AS Id, event_type AS Type, user_id AS UserId, payload AS Payload, occurred_at AS OccurredAt
            FROM deferred_deliveries WHERE consumer = @consumer ORDER BY event_id LIMIT @limit
            """, new { consumer, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new IntegrationEvent(r.Id, r.Type, r.UserId, r.Payload, DateTimeOffset.FromUnixTimeMilliseconds(r.OccurredAt))).ToList();
    }

    public async Task RemoveAsync(string consumer, IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM deferred_deliveries WHERE consumer = @consumer AND event_id = @Id",
            events.Select(e => new { consumer, e.Id }), cancellationToken: cancellationToken));
    }

    /// <summary>The consumers with events waiting: one cheap query per pass, whatever the number of consumers.</summary>
    public async Task<IReadOnlySet<string>> ConsumersWaitingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT consumer FROM deferred_deliveries", cancellationToken: cancellationToken))).ToHashSet();
    }

    /// <summary>Events waiting, per consumer (the admin outbox view).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<(string Consumer, long Count)>(new CommandDefinition(
            "SELECT consumer, COUNT(*) FROM deferred_deliveries GROUP BY consumer", cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Consumer, r => r.Count);
    }

    private sealed record Row(long Id, string Type, long UserId, string Payload, long OccurredAt);
}

/// <summary>Redelivers deferred events to their consumer, each consumer on its own backoff (in-process bus only).</summary>
public sealed class DeferredDeliveryWorker(
    DeferredDeliveries deferred, IEnumerable<IEventConsumer> consumers, EventConsumerRunner runner, IOptions<MessagingOptions> options,
    TimeProvider time, ILogger<DeferredDeliveryWorker> logger) : BackgroundService
{
    private readonly Dictionary<string, (int Failures, DateTimeOffset NextTry)> _backoff = [];

    /// <summary>One pass over every consumer that is due; returns how many events were delivered.</summary>
    public async Task<int> RedeliverOnceAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        var waiting = await deferred.ConsumersWaitingAsync(cancellationToken);
        foreach (var consumer in consumers.Where(c => waiting.Contains(c.Name)))
        {
            if (_backoff.TryGetValue(consumer.Name, out var state) && state.NextTry > time.GetUtcNow())
            {
                continue;
            }

            try
            {
                IReadOnlyList<IntegrationEvent> batch;
                while ((batch = await deferred.OldestAsync(consumer.Name, options.Value.DispatchBatchSize, cancellationToken)).Count > 0)
                {
                    await runner.DeliverAsync(consumer, batch, cancellationToken);
                    await deferred.RemoveAsync(consumer.Name, batch, cancellationToken);
                    delivered += batch.Count;
                }

                _backoff.Remove(consumer.Name);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var failures = _backoff.GetValueOrDefault(consumer.Name).Failures + 1;
                var delay = TimeSpan.FromTicks(Math.Min(options.Value.DeferredRetryMaxDelay.Ticks,
                    options.Value.DeferredRetryBaseDelay.Ticks * (1L << Math.Min(failures - 1, 20))));
                _backoff[consumer.Name] = (failures, time.GetUtcNow() + delay * (0.5 + Random.Shared.NextDouble() / 2));
                logger.LogWarning(exception, "Deferred events for {Consumer} still cannot be delivered; next try in {Delay}", consumer.Name, delay);
            }
        }

        return delivered;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DeferredRetryBaseDelay, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RedeliverOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The catalog database itself is unavailable: the events are safe there; try at the next tick.
                logger.LogWarning(exception, "Could not read the deferred deliveries");
            }
        }
    }
}
