using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using System.Threading.RateLimiting;
using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The bus as a dependency named <c>bus</c>: a bulkhead (publishes in flight and queued; one past them is refused
/// at once and, like a bus that is down, leaves its events in the outbox), a timeout on every publish, a circuit
/// breaker (a bus that is down is not called for every batch of every database), and the chaos strategies. The
/// bulkhead is outermost, so its refusals are not counted by the breaker as the bus failing. No retry here: the dispatcher
/// already retries each database's batch with backoff, and the events wait safely in the outboxes meanwhile —
/// with the bus down, checkout goes on and only the projections fall behind.
/// </summary>
public sealed class ResilientEventBus : IEventBus
{
    public const string DependencyName = "bus";

    private readonly IEventBus _inner;
    private readonly ResiliencePipeline _pipeline;

    public ResilientEventBus(IEventBus inner, IOptions<MessagingOptions> options, ChaosSwitchboard chaos, CircuitStates circuits, ILoggerFactory loggers)
    {
        _inner = inner;
        var limits = options.Value;
        var logger = loggers.CreateLogger<ResilientEventBus>();
        _pipeline = new ResiliencePipelineBuilder { Name = DependencyName }
            .AddConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.BusMaxConcurrentPublishes,
                QueueLimit = limits.BusMaxQueuedPublishes,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = limits.BusBreakerFailureRatio,
                MinimumThroughput = limits.BusBreakerMinimumThroughput,
                SamplingDuration = limits.BusBreakerSamplingDuration,
                BreakDuration = limits.BusBreakerBreakDuration,
                StateProvider = circuits.For(DependencyName),
                // A consumer whose own dependency is down is not the bus failing.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or ConsumerUnavailableException)),
                OnOpened = args =>
                {
                    logger.LogError(args.Outcome.Exception, "Circuit of the bus opened for {BreakDuration}: events wait in the outboxes", args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(limits.PublishTimeout)
            .AddDependencyChaos(DependencyName, chaos)
            .ConfigureTelemetry(loggers)
            .Build();
    }

    public async Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(async ct => await _inner.PublishAsync(events, ct), cancellationToken);
}
