using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using ScaleShop.Resilience;

namespace ScaleShop.Data.Resilience;

/// <summary>How every physical database is protected (section <c>Resilience:Databases</c>).</summary>
public sealed class DatabaseResilienceOptions
{
    public const string SectionName = "Resilience:Databases";

    /// <summary>Opening a connection longer than this fails (and counts against the database's breaker).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bulkhead: connections in use at once per database; a database that slows down can hold no more of the process than this.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentOperations { get; set; } = 256;

    /// <summary>Units of work that may wait for a slot; more are refused at once (503).</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedOperations { get; set; } = 1024;

    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>While open, opens of that database fail at once (503) instead of waiting out a timeout each.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

[OptionsValidator]
public sealed partial class DatabaseResilienceOptionsValidator : IValidateOptions<DatabaseResilienceOptions>;

/// <summary>
/// A database this unit of work needs is unavailable: its breaker is open, its bulkhead is full, opening timed
/// out or failed. Only the users of that database are affected; the storefront answers 503 with Retry-After.
/// </summary>
public sealed class DatabaseUnavailableException(string database, string reason, Exception? inner = null)
    : Exception($"Database '{database}' is unavailable: {reason}", inner)
{
    public string Database { get; } = database;
}

/// <summary>
/// One resilience pipeline per physical database, named <c>db.{name}</c>, around opening its connections:
/// a bulkhead held for the connection's whole life (a slow shard cannot take every thread of the process),
/// a timeout, a circuit breaker (a dead shard fails fast and affects only its own users) and the chaos
/// strategies. Opening is not retried here: the units of work above decide what is safe to repeat.
/// </summary>
public sealed class DatabaseResilience(IOptions<DatabaseResilienceOptions> options, ChaosSwitchboard chaos, CircuitStates circuits, ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, (ResiliencePipeline Pipeline, ConcurrencyLimiter Bulkhead)> _databases = new();
    private readonly ILogger _logger = loggers.CreateLogger<DatabaseResilience>();

    public static string DependencyName(string database) => "db." + database;

    public async ValueTask<DbConnection> OpenAsync(string database, Func<CancellationToken, ValueTask<DbConnection>> open, CancellationToken cancellationToken)
    {
        var (pipeline, bulkhead) = _databases.GetOrAdd(database, Build);
        var lease = await bulkhead.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new DatabaseUnavailableException(database, "too many operations in flight (bulkhead full)");
        }

        try
        {
            var connection = await pipeline.ExecuteAsync(open, cancellationToken);
            // The slot is the connection's until it closes. Npgsql's DisposeAsync closes without raising Disposed,
            // so closing (StateChange to Closed) frees it too; whichever comes first, once.
            var released = 0;
            void Release()
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    lease.Dispose();
                }
            }

            connection.StateChange += (_, change) =>
            {
                if (change.CurrentState == System.Data.ConnectionState.Closed)
                {
                    Release();
                }
            };
            connection.Disposed += (_, _) => Release();
            return connection;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            lease.Dispose();
            throw exception switch
            {
                BrokenCircuitException => new DatabaseUnavailableException(database, "its circuit breaker is open", exception),
                TimeoutRejectedException => new DatabaseUnavailableException(database, $"opening a connection took over {options.Value.OpenTimeout}", exception),
                DatabaseUnavailableException => exception,
                _ => new DatabaseUnavailableException(database, exception.GetType().Name + ": " + exception.Message, exception),
            };
        }
    }

    private (ResiliencePipeline, ConcurrencyLimiter) Build(string database)
    {
        var limits = options.Value;
        var name = DependencyName(database);
        var pipeline = new ResiliencePipelineBuilder { Name = name }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = limits.BreakerFailureRatio,
                MinimumThroughput = limits.BreakerMinimumThroughput,
                SamplingDuration = limits.BreakerSamplingDuration,
                BreakDuration = limits.BreakerBreakDuration,
                StateProvider = circuits.For(name),
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                OnOpened = args =>
                {
                    _logger.LogError(args.Outcome.Exception, "Circuit of {Dependency} opened for {BreakDuration}: its users get 503 meanwhile", name, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _logger.LogWarning("Circuit of {Dependency} closed again", name);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(limits.OpenTimeout)
            .AddDependencyChaos(name, chaos)
            .ConfigureTelemetry(loggers)
            .Build();
        var bulkhead = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.MaxConcurrentOperations,
            QueueLimit = limits.MaxQueuedOperations,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        return (pipeline, bulkhead);
    }
}
