using ScaleShop.Data.Resilience;
using System.Diagnostics;
using System.Collections.Frozen;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Postgres;

/// <summary>
/// PostgreSQL: the catalog and each physical shard are databases with a primary and optional streaming
/// replicas. One pooled <see cref="NpgsqlDataSource"/> per endpoint. Writes go to the primary and are
/// remembered in the flow's <see cref="ReadConsistency"/>. A read goes to a healthy replica that has
/// replayed past the flow's token for that database (read-your-writes), or, without a token, to one no
/// more than <c>MaxReplicaLagBytes</c> behind; otherwise, and whenever a replica fails to connect, to the
/// primary. Replica positions are polled in the background, so routing costs no round trip.
/// </summary>
public sealed class PostgresDatabaseRouter : IDatabaseRouter, IRoutedOpen, IAsyncDisposable
{
    public const string CatalogDatabaseName = "catalog";

    // Between two asks of a catching-up replica: replay of a small commit takes about this long.
    private static readonly TimeSpan ReplayPollDelay = TimeSpan.FromMilliseconds(1);

    private readonly FrozenDictionary<string, Endpoints> _databases;
    private readonly bool _readFromReplicas;
    private readonly long _maxReplicaLagBytes;
    private readonly TimeSpan _readYourWritesWait;
    private readonly ShardingOptions _sharding;
    private readonly DataMetrics _metrics;
    private readonly TimeProvider _time;

    private readonly DatabaseResilience _resilience;


    public PostgresDatabaseRouter(IOptions<StorageOptions> options, ShardRouting routing, DataMetrics metrics, TimeProvider time, DatabaseResilience resilience)
    {
        var storage = options.Value;
        var postgres = storage.Postgres;
        Routing = routing;
        _metrics = metrics;
        _resilience = resilience;
        _time = time;
        _sharding = storage.Sharding;
        _readFromReplicas = postgres.ReadFromReplicas;
        _maxReplicaLagBytes = postgres.MaxReplicaLagBytes;
        _readYourWritesWait = postgres.ReadYourWritesWait;

        var missing = postgres.Shards.Where(p => string.IsNullOrWhiteSpace(p.Value.Primary)).Select(p => $"Storage:Postgres:Shards:{p.Key}:Primary").ToList();
        if (string.IsNullOrWhiteSpace(postgres.Catalog.Primary))
        {
            missing.Insert(0, "Storage:Postgres:Catalog:Primary");
        }

        if (postgres.Shards.Count == 0)
        {
            missing.Add("Storage:Postgres:Shards (at least one physical shard)");
        }

        if (missing.Count > 0)
        {
            throw new OptionsValidationException(nameof(StorageOptions), typeof(StorageOptions), missing.Select(key => $"{key} is required with the Postgres provider."));
        }

        // Every configured database gets its pools now, not only those the current map uses: a move may
        // route a logical shard to any of them while this instance runs.
        var databases = new Dictionary<string, PostgresDatabaseOptions>(postgres.Shards, StringComparer.Ordinal) { [CatalogDatabaseName] = postgres.Catalog };
        _databases = databases.ToFrozenDictionary(
            p => p.Key,
            p => new Endpoints(p.Value.Primary!, Build(p.Value.Primary!, postgres), p.Value.Replicas.Select(r => new Replica(Build(r, postgres))).ToArray()),
            StringComparer.Ordinal);
        metrics.ReplicaLag(() => _databases.SelectMany(d => d.Value.Replicas.Select((r, i) => new System.Diagnostics.Metrics.Measurement<long>(
            r.Healthy ? r.LagBytes : -1, new KeyValuePair<string, object?>("db.name", d.Key), new KeyValuePair<string, object?>("db.replica", i)))));
    }

    public ShardRouting Routing { get; }

    public string Provider => StorageOptions.PostgresProvider;

    public ISqlDialect Dialect { get; } = new PostgresDialect();

    public string PrimaryConnectionString(string database) =>
        _databases.TryGetValue(database, out var endpoints)
            ? endpoints.PrimaryConnectionString
            : throw new ArgumentException($"No database named '{database}' is configured (Storage:Postgres:Shards:{database}).", nameof(database));

    public bool IsConfigured(string physicalDatabase) => physicalDatabase != CatalogDatabaseName && _databases.ContainsKey(physicalDatabase);

    public ValueTask<DbConnection> OpenCatalogAsync(DataIntent intent, CancellationToken cancellationToken) =>
        DataTelemetry.OpenAsync(this, CatalogDatabaseName, null, intent, cancellationToken);

    public ValueTask<DbConnection> OpenShardAsync(int logicalShard, DataIntent intent, CancellationToken cancellationToken) =>
        DataTelemetry.OpenAsync(this, Routing.Map.PhysicalDatabaseOf(logicalShard), logicalShard, intent, cancellationToken);

    public Task<T> WriteToShardAsync<T>(int logicalShard, Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        ShardWrites.RunAsync(this, logicalShard, _sharding, _time, _metrics, work, cancellationToken);

    public ValueTask<DbConnection> OpenPhysicalShardAsync(string physicalDatabase, DataIntent intent, CancellationToken cancellationToken) =>
        IsConfigured(physicalDatabase)
            ? DataTelemetry.OpenAsync(this, physicalDatabase, null, intent, cancellationToken)
            : throw new ArgumentException($"No physical database named '{physicalDatabase}'.", nameof(physicalDatabase));

    public DbTransaction BeginWriteTransaction(DbConnection connection) => connection.BeginTransaction();

    public DbTransaction BeginSnapshotTransaction(DbConnection connection) => connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);

    /// <summary>
    /// A transaction gets its id at its first write. Every session of this database that holds one now is
    /// waited for; one that writes later gets a newer id and, because the fence trigger runs after the row
    /// is written with a fresh snapshot, sees whatever fence was committed before this call.
    /// </summary>
    public async Task WaitForWritesInFlightAsync(string physicalDatabase, TimeSpan timeout, CancellationToken cancellationToken)
    {
        const string InFlight = """
            SELECT pid::bigint, backend_xid::text FROM pg_stat_activity
            WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()
            """;
        await using var connection = await _databases[physicalDatabase].Primary.OpenConnectionAsync(cancellationToken);
        var waitingFor = await ReadInFlightAsync(connection, InFlight, cancellationToken);
        var deadline = _time.GetUtcNow() + timeout;
        while (waitingFor.Count > 0)
        {
            if (_time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"{waitingFor.Count} transactions on '{physicalDatabase}' were still open after {timeout.TotalSeconds:F0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken);
            waitingFor.IntersectWith(await ReadInFlightAsync(connection, InFlight, cancellationToken));
        }
    }

    private static async Task<HashSet<(long Pid, string Xid)>> ReadInFlightAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var sessions = new HashSet<(long, string)>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return sessions;
    }

    public async Task<IReadOnlyDictionary<string, ulong>> CurrentPositionsAsync(IReadOnlyCollection<string> databases, CancellationToken cancellationToken)
    {
        var positions = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var name in databases)
        {
            if (_databases.TryGetValue(name, out var endpoints) && endpoints.Replicas.Length > 0)
            {
                await using var connection = await endpoints.Primary.OpenConnectionAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
                if (ReadConsistency.TryParseLsn((string)(await command.ExecuteScalarAsync(cancellationToken))!, out var lsn))
                {
                    positions[name] = lsn;
                }
            }
        }

        return positions;
    }

    public async Task RaiseReadFloorAsync(string database, CancellationToken cancellationToken)
    {
        var positions = await CurrentPositionsAsync([database], cancellationToken);
        if (positions.TryGetValue(database, out var position))
        {
            var endpoints = _databases[database];
            long current;
            do
            {
                current = Interlocked.Read(ref endpoints.ReadFloor);
            }
            while ((ulong)current < position && Interlocked.CompareExchange(ref endpoints.ReadFloor, (long)position, current) != current);
        }
    }

    public async Task RefreshReplicasAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoints in _databases.Values.Where(e => e.Replicas.Length > 0))
        {
            ulong primaryPosition = 0;
            try
            {
                await using var primary = await endpoints.Primary.OpenConnectionAsync(cancellationToken);
                await using var current = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", primary);
                ReadConsistency.TryParseLsn((string)(await current.ExecuteScalarAsync(cancellationToken))!, out primaryPosition);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                // The primary's position is only for the lag figure; replicas are still checked.
            }

            foreach (var replica in endpoints.Replicas)
            {
                try
                {
                    await using var connection = await replica.Source.OpenConnectionAsync(cancellationToken);
                    await using var replayed = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()::text", connection);
                    if (await replayed.ExecuteScalarAsync(cancellationToken) is string text && ReadConsistency.TryParseLsn(text, out var position))
                    {
                        replica.Observe(position, primaryPosition);
                    }
                    else
                    {
                        replica.MarkUnhealthy(); // not a standby (promoted, or misconfigured): no reads
                    }
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    replica.MarkUnhealthy();
                }
            }
        }
    }

    public IReadOnlyList<ReplicaState> ReplicasOf(string database) =>
        _databases.TryGetValue(database, out var endpoints)
            ? endpoints.Replicas.Select((r, i) => new ReplicaState(i, r.Healthy, r.LagBytes)).ToArray()
            : [];

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoints in _databases.Values)
        {
            await endpoints.Primary.DisposeAsync();
            foreach (var replica in endpoints.Replicas)
            {
                await replica.Source.DisposeAsync();
            }
        }
    }

    ValueTask<DbConnection> IRoutedOpen.OpenRoutedAsync(string database, DataIntent intent, CancellationToken cancellationToken) =>
        _resilience.OpenAsync(database, Dialect, ct => OpenUnprotectedAsync(database, intent, ct),
            openPrimary: async ct => await _databases[database].Primary.OpenConnectionAsync(ct), cancellationToken);

    // The resilience layer guards the primary's statements only: the connection says which it is.
    private async ValueTask<OpenedConnection> OpenUnprotectedAsync(string name, DataIntent intent, CancellationToken cancellationToken)
    {
        var endpoints = _databases[name];
        if (intent == DataIntent.Write)
        {
            ReadConsistency.Current?.MarkWritten(name);
        }
        else if (_readFromReplicas && endpoints.Replicas.Length > 0)
        {
            var (replica, required) = ChooseReplica(name, endpoints, intent);
            if (replica is not null)
            {
                try
                {
                    var connection = await replica.Source.OpenConnectionAsync(cancellationToken);
                    _metrics.OperationStarted(name, intent, DataMetrics.ReplicaRole);
                    return new OpenedConnection(connection, Standby: true);
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    replica.MarkUnhealthy(); // out of rotation until the monitor sees it answer again
                }
            }
            else if (required > 0 && _readYourWritesWait > TimeSpan.Zero && CatchingUp(endpoints) is { } catchingUp
                && await WaitForReplayAsync(catchingUp, required, cancellationToken) is { } caughtUp)
            {
                _metrics.OperationStarted(name, intent, DataMetrics.ReplicaRole);
                return new OpenedConnection(caughtUp, Standby: true);
            }
        }

        _metrics.OperationStarted(name, intent, DataMetrics.PrimaryRole);
        return new OpenedConnection(await endpoints.Primary.OpenConnectionAsync(cancellationToken), Standby: false);
    }

    /// <summary>A replica fresh enough for this read, or none; and the log position the read must see (0: any).</summary>
    private (Replica? Replica, ulong Required) ChooseReplica(string name, Endpoints endpoints, DataIntent intent)
    {
        var token = ReadConsistency.Current?.RequiredPosition(name) ?? 0;
        if (intent == DataIntent.ReadYourWrites && token == 0)
        {
            return (null, 0); // must see the latest writes and does not say which: only the primary is sure
        }

        // Never older than this flow's own writes, nor than a change this process promised caches would see.
        var required = Math.Max(token, (ulong)Interlocked.Read(ref endpoints.ReadFloor));
        var start = (int)((uint)Interlocked.Increment(ref endpoints.NextReplica) % (uint)endpoints.Replicas.Length);
        for (var i = 0; i < endpoints.Replicas.Length; i++)
        {
            var replica = endpoints.Replicas[(start + i) % endpoints.Replicas.Length];
            var fresh = replica.ReplayedPosition >= required
                && (intent == DataIntent.ReadYourWrites || replica.LagBytes <= _maxReplicaLagBytes);
            if (replica.Healthy && fresh)
            {
                return (replica, required);
            }
        }

        return (null, required);
    }

    /// <summary>The healthy replica least behind, if it is within the lag allowed for reads at all.</summary>
    private Replica? CatchingUp(Endpoints endpoints) =>
        endpoints.Replicas.Where(r => r.Healthy && r.LagBytes <= _maxReplicaLagBytes).OrderBy(r => r.LagBytes).FirstOrDefault();

    /// <summary>
    /// The bounded wait: the position the monitor last saw is up to a poll old, and a replica on the same
    /// network usually replays a commit within a millisecond or two. So ask the replica itself, a few times
    /// within <c>ReadYourWritesWait</c>, before sending the read to the primary. Null when it did not catch up.
    /// </summary>
    private async Task<DbConnection?> WaitForReplayAsync(Replica replica, ulong required, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        NpgsqlConnection? connection = null;
        try
        {
            connection = await replica.Source.OpenConnectionAsync(cancellationToken);
            await using var replayed = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()::text", connection);
            while (true)
            {
                if (await replayed.ExecuteScalarAsync(cancellationToken) is not string text || !ReadConsistency.TryParseLsn(text, out var position))
                {
                    replica.MarkUnhealthy(); // promoted or misconfigured: not a standby
                    return null;
                }

                replica.ObserveReplayed(position);
                if (position >= required)
                {
                    var caughtUp = connection;
                    connection = null;
                    return caughtUp;
                }

                if (Stopwatch.GetElapsedTime(started) >= _readYourWritesWait)
                {
                    return null;
                }

                await Task.Delay(ReplayPollDelay, _time, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            replica.MarkUnhealthy();
            return null;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static NpgsqlDataSource Build(string connectionString, PostgresStorageOptions postgres) =>
        new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = postgres.MaxPoolSize,
            CommandTimeout = postgres.CommandTimeoutSeconds,
        }.ConnectionString).Build();

    private sealed class Endpoints(string primaryConnectionString, NpgsqlDataSource primary, Replica[] replicas)
    {
        public int NextReplica;

        public long ReadFloor;

        public string PrimaryConnectionString { get; } = primaryConnectionString;

        public NpgsqlDataSource Primary { get; } = primary;

        public Replica[] Replicas { get; } = replicas;
    }

    /// <summary>A replica's last observed state; unhealthy until first seen answering.</summary>
    private sealed class Replica(NpgsqlDataSource source)
    {
        private long _replayed;
        private long _lagBytes = long.MaxValue;
        private int _healthy;

        public NpgsqlDataSource Source { get; } = source;

        public bool Healthy => Volatile.Read(ref _healthy) == 1;

        public ulong ReplayedPosition => (ulong)Interlocked.Read(ref _replayed);

        public long LagBytes => Interlocked.Read(ref _lagBytes);

        public void Observe(ulong replayed, ulong primary)
        {
            Interlocked.Exchange(ref _replayed, (long)replayed);
            Interlocked.Exchange(ref _lagBytes, primary > replayed ? (long)(primary - replayed) : 0);
            Volatile.Write(ref _healthy, 1);
        }

        public void MarkUnhealthy() => Volatile.Write(ref _healthy, 0);

        /// <summary>A replay position read on the replica itself: only ever moves it forward.</summary>
        public void ObserveReplayed(ulong replayed)
        {
            long current;
            do
            {
                current = Interlocked.Read(ref _replayed);
            }
            while ((ulong)current < replayed && Interlocked.CompareExchange(ref _replayed, (long)replayed, current) != current);
        }
    }
}

public sealed class PostgresDialect : ISqlDialect
{
    public bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public string InList(string parameter) => $"= ANY({parameter})";

    public string LockRows => "FOR UPDATE";

    public string LockRowsSkipLocked => "FOR UPDATE SKIP LOCKED";

    /// <summary>The shard fence trigger raises this SQLSTATE (class SS: ScaleShop's own).</summary>
    public const string FenceSqlState = "SSF01";

    public bool IsShardFenced(Exception exception) => exception is PostgresException { SqlState: FenceSqlState };

    public bool IsTimeout(Exception exception) =>
        exception is NpgsqlException { InnerException: TimeoutException } or PostgresException { SqlState: PostgresErrorCodes.QueryCanceled };

    public bool IsTransientConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    public bool IsUnavailable(Exception exception) => IsTimeout(exception) || exception switch
    {
        // Class 08: the connection failed; 57P01-03: the server is shutting down or starting; 53300: no connection slot left.
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlOperationInProgressException => false, // two commands on one connection at once: a bug of ours
        NpgsqlException => true, // no server error, so the client's side failed: I/O, a broken connection, no answer
        _ => false,
    };
}
