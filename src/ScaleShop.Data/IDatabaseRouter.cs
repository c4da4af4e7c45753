using System.Data.Common;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data;

/// <summary>
/// The one way into a database. Catalog data has one logical database; user data is routed by logical
/// shard through the current <see cref="ShardMap"/>. Callers own and dispose the opened connection.
/// </summary>
public interface IDatabaseRouter
{
    /// <summary>The newest shard map this process has seen, and the logical shards a move is pausing.</summary>
    ShardRouting Routing { get; }

    ShardMap ShardMap => Routing.Map;

    /// <summary><see cref="StorageOptions.SqliteProvider"/> or <see cref="StorageOptions.PostgresProvider"/>, for the few queries that differ (full-text search).</summary>
    string Provider { get; }

    ISqlDialect Dialect { get; }

    ValueTask<DbConnection> OpenCatalogAsync(DataIntent intent, CancellationToken cancellationToken);

    ValueTask<DbConnection> OpenShardAsync(int logicalShard, DataIntent intent, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one unit of writes (the delegate's own transaction, or a single statement) on the logical
    /// shard's primary. While a move pauses the shard it waits; when the database refuses the write because
    /// the shard has moved or is freezing, it learns the new map and runs the whole unit again there.
    /// </summary>
    Task<T> WriteToShardAsync<T>(int logicalShard, Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>For work that spans a whole physical database (seeding, sweeps, migrations).</summary>
    ValueTask<DbConnection> OpenPhysicalShardAsync(string physicalDatabase, DataIntent intent, CancellationToken cancellationToken);

    /// <summary>
    /// The primaries' current log positions for <paramref name="databases"/>: after a flow's writes have
    /// committed, the consistency token it hands back to its client. Empty where a provider has no replicas.
    /// </summary>
    Task<IReadOnlyDictionary<string, ulong>> CurrentPositionsAsync(IReadOnlyCollection<string> databases, CancellationToken cancellationToken);

    /// <summary>
    /// From now on this process reads <paramref name="database"/> only from replicas that have replayed
    /// everything committed so far: after a change that caches must never be refilled from older data
    /// (an admin's product change), whoever the reader is.
    /// </summary>
    Task RaiseReadFloorAsync(string database, CancellationToken cancellationToken);

    /// <summary>Reads every replica's replay position and health (called periodically by <see cref="ReplicaMonitor"/>).</summary>
    Task RefreshReplicasAsync(CancellationToken cancellationToken);

    /// <summary>The replicas of <paramref name="database"/> as the monitor last saw them; none where a provider has no replicas.</summary>
    IReadOnlyList<ReplicaState> ReplicasOf(string database) => [];

    /// <summary>Starts a transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE).</summary>
    DbTransaction BeginWriteTransaction(DbConnection connection);

    /// <summary>Starts a transaction whose reads all see one snapshot (a consistent copy of a logical shard).</summary>
    DbTransaction BeginSnapshotTransaction(DbConnection connection);

    /// <summary>
    /// Waits until every transaction that had already written to <paramref name="physicalDatabase"/> when
    /// this was called has ended (PostgreSQL: transactions with an id in this database; SQLite has one
    /// writer per file, so none can be in flight once a write of ours has committed).
    /// </summary>
    Task WaitForWritesInFlightAsync(string physicalDatabase, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>A replica of a database: reachable and replaying (<paramref name="Healthy"/>), and how many bytes of WAL it has not replayed yet.</summary>
public sealed record ReplicaState(int Index, bool Healthy, long LagBytes);

/// <summary>The few places where SQL differs between providers.</summary>
public interface ISqlDialect
{
    /// <summary>True when an exception is a violation of a primary-key or unique constraint.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>
    /// "column is one of a list parameter": <c>IN @ids</c> (Dapper expands the list) on SQLite,
    /// <c>= ANY(@ids)</c> (one array parameter, one cached plan whatever the length) on PostgreSQL.
    /// </summary>
    string InList(string parameter);

    /// <summary>Suffix that row-locks what a SELECT reads until the transaction ends (<c>FOR UPDATE</c>; nothing on SQLite, whose write transaction already excludes every other writer).</summary>
    string LockRows { get; }

    /// <summary>Like <see cref="LockRows"/>, but rows another transaction holds are skipped rather than waited for.</summary>
    string LockRowsSkipLocked { get; }

    /// <summary>True when a shard fence refused the write: the logical shard is being moved or lives elsewhere now.</summary>
    bool IsShardFenced(Exception exception);

    /// <summary>
    /// True when a statement gave up waiting (PostgreSQL: the command timeout, or a cancelled statement; SQLite:
    /// the busy timeout): the database is hung or overloaded, so the request may be retried later (503), unlike a bug (500).
    /// </summary>
    bool IsTimeout(Exception exception);

    /// <summary>
    /// True when a failure means the database is not answering: a <see cref="IsTimeout">timeout</see>, or the
    /// connection or its transport failed. Such failures count against the database's circuit breaker; a
    /// constraint violation, a serialization failure or a bug shows the database answered, and does not.
    /// </summary>
    bool IsUnavailable(Exception exception);

    /// <summary>
    /// True when the database aborted this transaction to settle a conflict with a concurrent one (PostgreSQL: a
    /// deadlock or a serialization failure): nothing of it was written and the same request can succeed when sent
    /// again, so it is answered 503 with Retry-After rather than 500. SQLite has none: one writer at a time, and a
    /// writer that waited too long is a <see cref="IsTimeout">timeout</see>. Designed-away conflicts still land here
    /// when a new one appears; the log names it.
    /// </summary>
    bool IsTransientConflict(Exception exception);
}
