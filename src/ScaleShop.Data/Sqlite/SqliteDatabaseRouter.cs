using ScaleShop.Data.Resilience;
using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Sqlite;

/// <summary>
/// Embedded defaults: one SQLite file for the catalog and one per physical shard, in WAL mode so readers
/// never block the writer. Microsoft.Data.Sqlite pools connections per connection string, so opening one
/// per unit of work is cheap.
/// <para>
/// SQLite has one writer per file, and Microsoft.Data.Sqlite answers a busy file by sleeping 150 ms (a
/// blocked thread) before it retries. So writers of this process queue for a file on an async gate instead:
/// a write connection holds its file's gate until it is disposed, and the next writer starts the moment it
/// is free. Other processes on the same files still meet the busy path, which is what it is for.
/// </para>
/// </summary>
public sealed partial class SqliteDatabaseRouter : IDatabaseRouter, IRoutedOpen
{
    public const string CatalogDatabaseName = "catalog";

    private readonly string _directory;
    private readonly SqliteStorageOptions _sqlite;
    private readonly ShardingOptions _sharding;
    private readonly string _catalogConnectionString;
    private readonly ConcurrentDictionary<string, string> _shardConnectionStrings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writeGates = new(StringComparer.Ordinal);
    private readonly TimeSpan _writeGateTimeout;
    private readonly string _connectionPragmas;
    private readonly DataMetrics _metrics;
    private readonly TimeProvider _time;

    private readonly DatabaseResilience _resilience;

    public SqliteDatabaseRouter(IOptions<StorageOptions> options, ShardRouting routing, DataMetrics metrics, TimeProvider time, DatabaseResilience resilience)
    {
        var storage = options.Value;
        Routing = routing;
        _metrics = metrics;
        _resilience = resilience;
        _time = time;
        _sqlite = storage.Sqlite;
        _sharding = storage.Sharding;
        _directory = Path.GetFullPath(storage.DataDirectory);
        Directory.CreateDirectory(_directory);
        _catalogConnectionString = ConnectionString(_directory, CatalogDatabaseName, storage.Sqlite);
        _writeGateTimeout = TimeSpan.FromSeconds(storage.Sqlite.BusyTimeoutSeconds);
        _connectionPragmas = $"PRAGMA synchronous={storage.Sqlite.Synchronous.ToUpperInvariant()}; PRAGMA cache_size=-{storage.Sqlite.CacheSizeKiB};";
    }

    public ShardRouting Routing { get; }

    public string Provider => StorageOptions.SqliteProvider;

    public ISqlDialect Dialect { get; } = new SqliteDialect();

    public string CatalogConnectionString => _catalogConnectionString;

    /// <summary>The file of a physical shard (created on first open): any name the shard map gives.</summary>
    public string ShardConnectionString(string physicalDatabase) =>
        _shardConnectionStrings.GetOrAdd(physicalDatabase, name => PhysicalNamePattern().IsMatch(name) && name != CatalogDatabaseName
            ? ConnectionString(_directory, name, _sqlite)
            : throw new ArgumentException($"'{name}' is not a valid physical database name (lower-case letters, digits, '_').", nameof(physicalDatabase)));

    public ValueTask<DbConnection> OpenCatalogAsync(DataIntent intent, CancellationToken cancellationToken) =>
        DataTelemetry.OpenAsync(this, CatalogDatabaseName, null, intent, cancellationToken);

    public ValueTask<DbConnection> OpenShardAsync(int logicalShard, DataIntent intent, CancellationToken cancellationToken) =>
        DataTelemetry.OpenAsync(this, Routing.Map.PhysicalDatabaseOf(logicalShard), logicalShard, intent, cancellationToken);

    public Task<T> WriteToShardAsync<T>(int logicalShard, Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        ShardWrites.RunAsync(this, logicalShard, _sharding, _time, _metrics, work, cancellationToken);

    public ValueTask<DbConnection> OpenPhysicalShardAsync(string physicalDatabase, DataIntent intent, CancellationToken cancellationToken)
    {
        ShardConnectionString(physicalDatabase); // an unknown name fails here, before any span or pipeline
        return DataTelemetry.OpenAsync(this, physicalDatabase, null, intent, cancellationToken);
    }

    public DbTransaction BeginSnapshotTransaction(DbConnection connection) =>
        GuardedConnection.Guard(connection, ((SqliteConnection)GuardedConnection.Unwrap(connection)).BeginTransaction(IsolationLevel.Serializable, deferred: true));

    // One writer per file: once a write of ours has committed, no other write transaction can be open there.
    public Task WaitForWritesInFlightAsync(string physicalDatabase, TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyDictionary<string, ulong>> CurrentPositionsAsync(IReadOnlyCollection<string> databases, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, ulong>>(new Dictionary<string, ulong>());

    public Task RefreshReplicasAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RaiseReadFloorAsync(string database, CancellationToken cancellationToken) => Task.CompletedTask;

    public DbTransaction BeginWriteTransaction(DbConnection connection) =>
        GuardedConnection.Guard(connection, ((SqliteConnection)GuardedConnection.Unwrap(connection)).BeginTransaction(deferred: false));

    ValueTask<DbConnection> IRoutedOpen.OpenRoutedAsync(string database, DataIntent intent, CancellationToken cancellationToken)
    {
        var connectionString = database == CatalogDatabaseName ? _catalogConnectionString : ShardConnectionString(database);
        return _resilience.OpenAsync(database, Dialect, ct => OpenUnprotectedAsync(database, connectionString, intent, ct), cancellationToken);
    }

    private async ValueTask<DbConnection> OpenUnprotectedAsync(string name, string connectionString, DataIntent intent, CancellationToken cancellationToken)
    {
        _metrics.OperationStarted(name, intent, DataMetrics.PrimaryRole);
        if (intent == DataIntent.Write)
        {
            ReadConsistency.Current?.MarkWritten(name);
        }

        var gate = intent == DataIntent.Write ? _writeGates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1)) : null;
        if (gate is not null && !await gate.WaitAsync(_writeGateTimeout, cancellationToken))
        {
            throw new TimeoutException($"Waited {_writeGateTimeout.TotalSeconds:F0} s for the write lock of database '{name}'.");
        }

        var connection = new SqliteConnection(connectionString);
        if (gate is not null)
        {
            var released = 0;
            connection.Disposed += (_, _) =>
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    gate.Release();
                }
            };
        }

        try
        {
            await connection.OpenAsync(cancellationToken);
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = _connectionPragmas;
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex PhysicalNamePattern();

    private static string ConnectionString(string directory, string name, SqliteStorageOptions options) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, name + ".db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = options.BusyTimeoutSeconds,
        }.ToString();
}

public sealed class SqliteDialect : ISqlDialect
{
    // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067).
    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };

    public string InList(string parameter) => $"IN {parameter}";

    public string LockRows => "";

    public string LockRowsSkipLocked => "";

    /// <summary>The shard fence triggers end with <c>RAISE(ABORT, 'SCALESHOP_SHARD_FENCED ...')</c>.</summary>
    public bool IsShardFenced(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 } sqlite && sqlite.Message.Contains(FenceMessage, StringComparison.Ordinal);

    public const string FenceMessage = "SCALESHOP_SHARD_FENCED";

    /// <summary>SQLITE_BUSY (5) or SQLITE_LOCKED (6): the busy timeout ran out waiting for another writer.</summary>
    public bool IsTimeout(Exception exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 };

    /// <summary>A timeout, SQLITE_IOERR (10) or SQLITE_CANTOPEN (14): the file cannot be used, not a bug in a statement.</summary>
    public bool IsUnavailable(Exception exception) => IsTimeout(exception) || exception is SqliteException { SqliteErrorCode: 10 or 14 };

    public bool IsTransientConflict(Exception exception) => false;
}
