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

    /// <summary>
    /// Failures the breaker needs in its window before it may open. Low, with a long window, because a hung database's
    /// statements fail only at the command timeout (5 s and Npgsql's cancellation after it): a shard serving one or
    /// two units of work a second produces a handful of failures in ten seconds, and 20 in 10 s kept a hung shard's
    /// breaker closed through a whole minute's pause (chaos experiment shard-database-paused, docs/chaos.md).
    /// </summary>
    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 8;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>While open, opens and statements of that database fail at once (503) instead of waiting out a timeout each.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Retry-After of a request whose transaction the database aborted for a conflict with a concurrent one (a deadlock):
    /// the conflict is over the moment the other transaction goes on, so the retry may come at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConflictRetryAfter { get; set; } = TimeSpan.FromSeconds(1);
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
/// One circuit breaker per physical database, named <c>db.{name}</c>, that both opening its connections and every
/// statement on them go through; around opening also a bulkhead held for the connection's whole life (a slow
/// shard cannot take every thread of the process), a timeout and the chaos strategies. A dead or hung shard
/// fails fast and affects only its own users. Nothing is retried here: the units of work above decide what is
/// safe to repeat.
/// </summary>
public sealed class DatabaseResilience(IOptions<DatabaseResilienceOptions> options, ChaosSwitchboard chaos, CircuitStates circuits, ILoggerFactory loggers)
{
    // The SQL both providers answer at once: the half-open probe's round trip.
    private const string ProbeSql = "SELECT 1";

    // Lazy: a circuit's state provider serves one breaker only, so two first opens racing must not both build one.
    private readonly ConcurrentDictionary<string, Lazy<Database>> _databases = new();
    private readonly ILogger _logger = loggers.CreateLogger<DatabaseResilience>();

    public static string DependencyName(string database) => "db." + database;

    /// <summary>
    /// Opens a connection to <paramref name="database"/> behind its breaker and bulkhead. The connection returned
    /// runs every command through that breaker too: a statement failure that <paramref name="dialect"/> calls
    /// <see cref="ISqlDialect.IsUnavailable"/> counts against the database, and while the breaker is open its
    /// statements fail at once with <see cref="DatabaseUnavailableException"/>.
    /// </summary>
    public ValueTask<DbConnection> OpenAsync(
        string database, ISqlDialect dialect, Func<CancellationToken, ValueTask<DbConnection>> open, CancellationToken cancellationToken) =>
        OpenAsync(database, dialect, async ct => new OpenedConnection(await open(ct), Standby: false), openPrimary: null, cancellationToken);

    /// <summary>
    /// As above, for a database with replicas: <paramref name="open"/> says whether it gave a standby's connection. A
    /// standby's statements do not go through the breaker: the breaker guards the primary, which writes need, and a
    /// hung replica is the router's to take out of rotation (its health monitor), not a reason to refuse the shard's
    /// writes. <paramref name="openPrimary"/> opens the primary itself, for the half-open probe when the caller's open
    /// gave a standby.
    /// </summary>
    public async ValueTask<DbConnection> OpenAsync(
        string database, ISqlDialect dialect, Func<CancellationToken, ValueTask<OpenedConnection>> open,
        Func<CancellationToken, ValueTask<DbConnection>>? openPrimary, CancellationToken cancellationToken)
    {
        var target = _databases.GetOrAdd(database, static (name, state) => new Lazy<Database>(() => state.Self.Build(name, state.Dialect)), (Self: this, Dialect: dialect)).Value;
        var lease = await target.Bulkhead.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new DatabaseUnavailableException(database, "too many operations in flight (bulkhead full)");
        }

        try
        {
            var (connection, standby) = await OpenGuardedAsync(target, open, openPrimary, cancellationToken);
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
            return standby ? connection : new GuardedConnection(connection, target.Guard);
        }
        catch (Exception exception)
        {
            // The slot goes back whatever ended the open, the caller's cancellation (a request timeout, a client gone)
            // included: a slot kept here would be lost for the process's life.
            lease.Dispose();
            if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw Unavailable(database, exception);
        }
    }

    /// <summary>
    /// A pooled open succeeds at once even when the server is hung, so it proves nothing: while the breaker is
    /// closed an open is not one of its samples (successful opens would dilute a hung server's failed statements
    /// to a ratio of one half, below any threshold above it), only a failed one is. Once the breaker has opened,
    /// every open goes through it: Polly refuses it, or lets exactly one through as the half-open probe, and the
    /// probe runs a statement, so the breaker closes only when the database really answers again.
    /// </summary>
    private async ValueTask<OpenedConnection> OpenGuardedAsync(Database target, Func<CancellationToken, ValueTask<OpenedConnection>> open,
        Func<CancellationToken, ValueTask<DbConnection>>? openPrimary, CancellationToken cancellationToken)
    {
        if (target.Circuit.CircuitState == CircuitState.Closed)
        {
            try
            {
                return await target.Open.ExecuteAsync(open, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var unavailable = Unavailable(target.Name, exception);
                await target.Guard.RecordFailureAsync(unavailable);
                throw unavailable;
            }
        }

        return await target.Guard.Breaker.ExecuteAsync(async ct =>
        {
            OpenedConnection? opened = null;
            try
            {
                opened = await target.Open.ExecuteAsync(open, ct);
                if (opened.Standby && openPrimary is not null)
                {
                    // A replica answering says nothing of the primary the breaker guards: the probe asks the primary.
                    await using var primary = await target.Open.ExecuteAsync(openPrimary, ct);
                    await ProbeAsync(primary, ct);
                }
                else
                {
                    await ProbeAsync(opened.Connection, ct);
                }

                return opened;
            }
            catch (Exception exception)
            {
                if (opened is not null)
                {
                    await opened.Connection.DisposeAsync();
                }

                // Cancelled too: a probe that did not finish has not shown the database answering.
                throw Unavailable(target.Name, exception, probing: true);
            }
        }, cancellationToken);
    }

    private static async Task ProbeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var probe = connection.CreateCommand();
        probe.CommandText = ProbeSql;
        await probe.ExecuteScalarAsync(cancellationToken);
    }

    private DatabaseUnavailableException Unavailable(string database, Exception exception, bool probing = false) => exception switch
    {
        BrokenCircuitException => new DatabaseUnavailableException(database, DatabaseGuard.OpenCircuitReason, exception),
        TimeoutRejectedException => new DatabaseUnavailableException(database, $"opening a connection took over {options.Value.OpenTimeout}", exception),
        DatabaseUnavailableException unavailable => unavailable,
        _ => new DatabaseUnavailableException(database, (probing ? "the half-open probe failed: " : "") + exception.GetType().Name + ": " + exception.Message, exception),
    };

    private Database Build(string database, ISqlDialect dialect)
    {
        var limits = options.Value;
        var name = DependencyName(database);
        var circuit = circuits.For(name);
        var breaker = new ResiliencePipelineBuilder { Name = name, InstanceName = "breaker" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = limits.BreakerFailureRatio,
                MinimumThroughput = limits.BreakerMinimumThroughput,
                SamplingDuration = limits.BreakerSamplingDuration,
                BreakDuration = limits.BreakerBreakDuration,
                StateProvider = circuit,
                // "Not answering" only: a failed open (always), a statement that timed out or lost its connection.
                // A constraint violation, a serialization failure or a bug proves the database answered.
                // A cancelled statement that was the half-open probe counts too, or it would close the circuit untested.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception switch
                {
                    DatabaseUnavailableException => true,
                    OperationCanceledException => circuit.CircuitState == CircuitState.HalfOpen,
                    { } failure => dialect.IsUnavailable(failure),
                    null => false,
                }),
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
            .ConfigureTelemetry(loggers)
            .Build();
        var open = new ResiliencePipelineBuilder { Name = name, InstanceName = "open" }
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
        return new Database(database, new DatabaseGuard(database, breaker), circuit, open, bulkhead);
    }

    private sealed record Database(string Name, DatabaseGuard Guard, CircuitBreakerStateProvider Circuit, ResiliencePipeline Open, ConcurrencyLimiter Bulkhead);
}

/// <summary>A connection as a router opened it: a standby's (a streaming replica) or the primary's.</summary>
public sealed record OpenedConnection(DbConnection Connection, bool Standby);

/// <summary>A database's circuit breaker, as the statements on its connections meet it.</summary>
internal sealed class DatabaseGuard(string database, ResiliencePipeline breaker)
{
    public const string OpenCircuitReason = "its circuit breaker is open";

    public ResiliencePipeline Breaker { get; } = breaker;

    public async ValueTask<T> RunAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> statement, TState state, CancellationToken cancellationToken)
    {
        try
        {
            return await Breaker.ExecuteAsync(statement, state, cancellationToken);
        }
        catch (BrokenCircuitException open)
        {
            throw new DatabaseUnavailableException(database, OpenCircuitReason, open);
        }
    }

    public T Run<T, TState>(Func<TState, T> statement, TState state)
    {
        try
        {
            return Breaker.Execute(static (s, _) => s.statement(s.state), (statement, state));
        }
        catch (BrokenCircuitException open)
        {
            throw new DatabaseUnavailableException(database, OpenCircuitReason, open);
        }
    }

    /// <summary>
    /// Polly v8 has no "record a failure": a failure seen outside the breaker (an open that was not one of its
    /// executions) is handed to it as the outcome of an execution that only returns it.
    /// </summary>
    public async ValueTask RecordFailureAsync(Exception failure)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            await Breaker.ExecuteOutcomeAsync(static (_, f) => ValueTask.FromResult(Outcome.FromException<bool>(f)), context, failure);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
