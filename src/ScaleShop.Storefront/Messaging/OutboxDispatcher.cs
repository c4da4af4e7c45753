using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Publishes what the outboxes hold, at least once: read the oldest events of a physical database, hand them to
/// the bus, delete them only once the bus has them. A crash between publish and delete publishes them again;
/// JetStream drops the repeat by event id within its duplicate window and consumers deduplicate anyway.
/// Every instance dispatches every database; two instances publishing one event is the same harmless repeat.
/// A database that fails backs off on its own (exponentially, with jitter) without holding up the others.
/// </summary>
public sealed class OutboxDispatcher(
    Outbox outbox, OutboxSignal signal, IEventBus bus, MessagingMetrics metrics,
    IOptions<MessagingOptions> options, TimeProvider time, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly Dictionary<string, (int Failures, DateTimeOffset NotBefore)> _backoff = [];

    /// <summary>One pass over every physical database; returns how many events were published (tests drain with it).</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        var published = await Task.WhenAll(outbox.Sources.Select(db => DispatchDatabaseAsync(db, cancellationToken)));
        return published.Sum();
    }

    /// <summary>Publishes until every outbox is empty (or <paramref name="timeout"/> passes); for tests and shutdown.</summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + timeout;
        while (await outbox.CountAsync(cancellationToken) > 0)
        {
            if (time.GetUtcNow() > until)
            {
                throw new TimeoutException($"The outboxes still hold events after {timeout}.");
            }

            if (await DispatchOnceAsync(cancellationToken) == 0)
            {
                await Task.Delay(options.Value.DispatchBaseBackoff, time, cancellationToken);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchOnceAsync(stoppingToken) >= options.Value.DispatchBatchSize)
                {
                    continue; // more waiting: no pause between full batches
                }

                await signal.WaitAsync(options.Value.DispatchInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<int> DispatchDatabaseAsync(string physicalDatabase, CancellationToken cancellationToken)
    {
        lock (_backoff)
        {
            if (_backoff.TryGetValue(physicalDatabase, out var wait) && wait.NotBefore > time.GetUtcNow())
            {
                return 0;
            }
        }

        try
        {
            var events = await outbox.PeekAsync(physicalDatabase, options.Value.DispatchBatchSize, cancellationToken);
            if (events.Count == 0)
            {
                return 0;
            }

            using (MessagingTelemetry.StartOutboxPublish(physicalDatabase, events))
            {
                await bus.PublishAsync(events, cancellationToken);
            }

            var now = time.GetUtcNow();
            foreach (var @event in events)
            {
                metrics.Published(@event, now - @event.OccurredAt);
            }

            await outbox.RemoveAsync(physicalDatabase, events.Select(e => e.Id).ToList(), cancellationToken);
            lock (_backoff)
            {
                _backoff.Remove(physicalDatabase);
            }

            return events.Count;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var limits = options.Value;
            lock (_backoff)
            {
                var failures = _backoff.TryGetValue(physicalDatabase, out var previous) ? previous.Failures + 1 : 1;
                var delay = Backoff.Exponential(limits.DispatchBaseBackoff, failures, limits.DispatchMaxBackoff);
                _backoff[physicalDatabase] = (failures, time.GetUtcNow() + delay);
                logger.LogWarning(exception, "Dispatching the outbox of {Database} failed ({Failures} in a row); next try in {Delay}", physicalDatabase, failures, delay);
            }

            metrics.DispatchFailed(physicalDatabase);
            return 0;
        }
    }
}

/// <summary>Exponential backoff with full jitter (AWS's "full jitter": uniformly 0..cap), so retrying instances spread out.</summary>
public static class Backoff
{
    public static TimeSpan Exponential(TimeSpan baseDelay, int attempt, TimeSpan max)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(baseDelay.TotalMilliseconds / 2 + Random.Shared.NextDouble() * Math.Max(0, ceiling - baseDelay.TotalMilliseconds / 2));
    }
}
