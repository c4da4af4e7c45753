using System.Collections.Frozen;
using System.Data.Common;
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
public sealed class SqliteDatabaseRouter : IDatabaseRouter
{
    public const string CatalogDatabaseName = "catalog";

    private readonly string _catalogConnectionString;
    private readonly FrozenDictionary<string, string> _shardConnectionStrings;
    private readonly FrozenDictionary<string, SemaphoreSlim> _writeGates;
    private readonly TimeSpan _writeGateTimeout;
    private readonly string _connectionPragmas;
    private readonly DataMetrics _metrics;

    public SqliteDatabaseRouter(IOptions<StorageOptions> options, DataMetrics metrics)
    {
        var storage = options.Value;
        _metrics = metrics;
        var directory = Path.GetFullPath(storage.DataDirectory);
        ShardMap = ShardMapFile.LoadOrCreate(directory, storage.LogicalShards, storage.PhysicalShards);
        _catalogConnectionString = ConnectionString(directory, CatalogDatabaseName, storage.Sqlite);
        _shardConnectionStrings = ShardMap.PhysicalDatabases.ToFrozenDictionary(
            name => name, name => ConnectionString(directory, name, storage.Sqlite), StringComparer.Ordinal);
        _writeGates = ShardMap.PhysicalDatabases.Append(CatalogDatabaseName)
            .ToFrozenDictionary(name => name, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
        _writeGateTimeout = TimeSpan.FromSeconds(storage.Sqlite.BusyTimeoutSeconds);
        _connectionPragmas = $"PRAGMA synchronous={storage.Sqlite.Synchronous.ToUpperInvariant()}; PRAGMA cache_size=-{storage.Sqlite.CacheSizeKiB};";
    }

    public ShardMap ShardMap { get; }

    public string Provider => StorageOptions.SqliteProvider;

    public ISqlDialect Dialect { get; } = new SqliteDialect();

    public IEnumerable<(string Name, string ConnectionString)> AllDatabases =>
        _shardConnectionStrings.Select(p => (p.Key, p.Value)).Prepend((CatalogDatabaseName, _catalogConnectionString));

    public ValueTask<DbConnection> OpenCatalogAsync(DataIntent intent, CancellationToken cancellationToken) =>
        OpenAsync(CatalogDatabaseName, _catalogConnectionString, intent, cancellationToken);

    public ValueTask<DbConnection> OpenShardAsync(int logicalShard, DataIntent intent, CancellationToken cancellationToken) =>
        OpenPhysicalShardAsync(ShardMap.PhysicalDatabaseOf(logicalShard), intent, cancellationToken);

    public ValueTask<DbConnection> OpenPhysicalShardAsync(string physicalDatabase, DataIntent intent, CancellationToken cancellationToken) =>
        _shardConnectionStrings.TryGetValue(physicalDatabase, out var connectionString)
            ? OpenAsync(physicalDatabase, connectionString, intent, cancellationToken)
            : throw new ArgumentException($"No physical database named '{physicalDatabase}'.", nameof(physicalDatabase));

    public Task<IReadOnlyDictionary<string, ulong>> CurrentPositionsAsync(IReadOnlyCollection<string> databases, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, ulong>>(new Dictionary<string, ulong>());

    public Task RefreshReplicasAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RaiseReadFloorAsync(string database, CancellationToken cancellationToken) => Task.CompletedTask;

    public DbTransaction BeginWriteTransaction(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    private async ValueTask<DbConnection> OpenAsync(string name, string connectionString, DataIntent intent, CancellationToken cancellationToken)
    {
        _metrics.OperationStarted(name, intent, DataMetrics.PrimaryRole);
        if (intent == DataIntent.Write)
        {
            ReadConsistency.Current?.MarkWritten(name);
        }

        var gate = intent == DataIntent.Write ? _writeGates[name] : null;
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
}
