using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Delivers a batch to a consumer the same way on every bus:
/// <list type="number">
/// <item>the batch is retried with exponential backoff and jitter (the consumer is idempotent, so retrying is safe);</item>
/// <item>if it still fails, each event is tried alone: those that apply are done;</item>
/// <item>an event that fails alone while others succeed is poison and is parked in the dead-letter queue,
/// as is one the consumer calls poison (<see cref="PoisonEventException"/>) at once;</item>
/// <item>if every event fails alone too, the fault is the consumer's dependency, not the events: nothing is
/// parked and the delivery fails, to be repeated later (outbox rows stay; JetStream redelivers).</item>
/// </list>
/// So an outage of the catalog database does not flood the dead-letter queue, and one bad event does not stop the stream.
/// A dependency known to be down (its breaker open, its database unreachable) fails the delivery at once: no
/// retries within the break, no event-by-event split that could only fail the same way, event after event.
/// </summary>
public sealed class EventConsumerRunner(IDeadLetterQueue deadLetters, MessagingMetrics metrics, IOptions<MessagingOptions> options, ILogger<EventConsumerRunner> logger)
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or PoisonEventException) && !IsDependencyDown(e)),
            MaxRetryAttempts = Math.Max(1, options.Value.ConsumerMaxRetries),
            Delay = options.Value.ConsumerRetryBaseDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    public async Task DeliverAsync(IEventConsumer consumer, IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        var wanted = events.Where(e => consumer.Handles(e.Type)).ToList();
        if (wanted.Count == 0)
        {
            return;
        }

        using var delivery = MessagingTelemetry.StartDelivery(consumer.Name, wanted);

        var batchError = await TryAsync(consumer, wanted, cancellationToken);
        if (batchError is null)
        {
            return;
        }

        delivery?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, batchError.GetType().Name);
        if (IsDependencyDown(batchError))
        {
            throw new ConsumerUnavailableException(consumer.Name, wanted.Count, batchError);
        }

        var failed = new List<(IntegrationEvent Event, Exception Error)>();
        var succeeded = 0;
        foreach (var @event in wanted)
        {
            var error = wanted.Count == 1 ? batchError : await TryAsync(consumer, [@event], cancellationToken);
            if (error is null)
            {
                succeeded++;
            }
            else
            {
                failed.Add((@event, error));
            }
        }

        var poison = failed.Where(f => succeeded > 0 || f.Error is PoisonEventException).ToList();
        foreach (var (@event, error) in poison)
        {
            logger.LogError(error, "Consumer {Consumer} cannot apply event {EventId} ({EventType}); parked in the dead-letter queue", consumer.Name, @event.Id, @event.Type);
            await deadLetters.ParkAsync(consumer.Name, @event, error.GetType().Name + ": " + error.Message, options.Value.ConsumerMaxRetries + 1, cancellationToken);
            metrics.DeadLettered(consumer.Name);
        }

        if (poison.Count < failed.Count)
        {
            throw new ConsumerUnavailableException(consumer.Name, failed.Count - poison.Count, failed.First(f => !poison.Contains(f)).Error);
        }
    }

    /// <summary>Runs the consumer on one dead letter again (an operator's replay); returns the error, or null when applied.</summary>
    public Task<Exception?> ReplayAsync(IEventConsumer consumer, IntegrationEvent @event, CancellationToken cancellationToken) =>
        TryAsync(consumer, [@event], cancellationToken);

    private static bool IsDependencyDown(Exception exception) =>
        exception is Polly.CircuitBreaker.BrokenCircuitException or ScaleShop.Data.Resilience.DatabaseUnavailableException;

    private async Task<Exception?> TryAsync(IEventConsumer consumer, IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(async ct => await consumer.HandleAsync(events, ct), cancellationToken);
            return null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return exception;
        }
    }
}

/// <summary>Every event of a delivery failed, even alone: the consumer's own dependency is down. Delivery is repeated later.</summary>
public sealed class ConsumerUnavailableException(string consumer, int events, Exception inner)
    : Exception($"Consumer {consumer} could not apply {events} events, each alone as well; delivery will be repeated.", inner)
{
    public string Consumer { get; } = consumer;
}
