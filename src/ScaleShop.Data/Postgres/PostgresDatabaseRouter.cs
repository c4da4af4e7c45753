using System.Collections.Frozen;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Postgres;

/// <summary>
/// PostgreSQL: the catalog and each physical shard are databases with a primary and optional streaming
/// replicas. One pooled <see cref="NpgsqlDataSource"/> per endpoint. Writes and read-your-writes reads go to
/// the primary; reads that accept lag go round-robin to a replica when <c>ReadFromReplicas</c> is on.
/// </summary>
public sealed class PostgresDatabaseRouter : IDatabaseRouter, IAsyncDisposable
{
    public const string CatalogDatabaseName = "catalog";

    private readonly FrozenDictionary<string, Endpoints> _databases;
    private readonly bool _readFromReplicas;
    private readonly DataMetrics _metrics;

    public PostgresDatabaseRouter(IOptions<StorageOptions> options, DataMetrics metrics)
    {
        var storage = options.Value;
        var postgres = storage.Postgres;
        _metrics = metrics;
        _readFromReplicas = postgres.ReadFromReplicas;
        ShardMap = ShardMapFile.LoadOrCreate(Path.GetFullPath(storage.DataDirectory), storage.LogicalShards, storage.PhysicalShards);

        var missing = ShardMap.PhysicalDatabases.Where(name => !postgres.Shards.TryGetValue(name, out var shard) || string.IsNullOrWhiteSpace(shard.Primary))
            .Select(name => $"Storage:Postgres:Shards:{name}:Primary").ToList();
        if (string.IsNullOrWhiteSpace(postgres.Catalog.Primary))
        {
            missing.Insert(0, "Storage:Postgres:Catalog:Primary");
        }

        if (missing.Count > 0)
        {
            throw new OptionsValidationException(nameof(StorageOptions), typeof(StorageOptions), missing.Select(key => $"{key} is required with the Postgres provider."));
        }

        var databases = new Dictionary<string, PostgresDatabaseOptions>(StringComparer.Ordinal) { [CatalogDatabaseName] = postgres.Catalog };
        foreach (var name in ShardMap.PhysicalDatabases)
        {
            databases[name] = postgres.Shards[name];
        }

        _databases = databases.ToFrozenDictionary(
            p => p.Key,
            p => new Endpoints(p.Value.Primary!, Build(p.Value.Primary!, postgres.MaxPoolSize), p.Value.Replicas.Select(r => Build(r, postgres.MaxPoolSize)).ToArray()),
            StringComparer.Ordinal);
    }

    public ShardMap ShardMap { get; }

    public string Provider => StorageOptions.PostgresProvider;

    public ISqlDialect Dialect { get; } = new PostgresDialect();

    /// <summary>Every database's name and primary connection string, catalog first (for migrations).</summary>
    public IEnumerable<(string Name, string ConnectionString)> AllDatabases =>
        _databases.OrderBy(p => p.Key == CatalogDatabaseName ? "" : p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.PrimaryConnectionString));

    public ValueTask<DbConnection> OpenCatalogAsync(DataIntent intent, CancellationToken cancellationToken) =>
        OpenAsync(CatalogDatabaseName, intent, cancellationToken);

    public ValueTask<DbConnection> OpenShardAsync(int logicalShard, DataIntent intent, CancellationToken cancellationToken) =>
        OpenAsync(ShardMap.PhysicalDatabaseOf(logicalShard), intent, cancellationToken);

    public ValueTask<DbConnection> OpenPhysicalShardAsync(string physicalDatabase, DataIntent intent, CancellationToken cancellationToken) =>
        _databases.ContainsKey(physicalDatabase) && physicalDatabase != CatalogDatabaseName
            ? OpenAsync(physicalDatabase, intent, cancellationToken)
            : throw new ArgumentException($"No physical database named '{physicalDatabase}'.", nameof(physicalDatabase));

    public DbTransaction BeginWriteTransaction(DbConnection connection) => ((NpgsqlConnection)connection).BeginTransaction();

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoints in _databases.Values)
        {
            await endpoints.Primary.DisposeAsync();
            foreach (var replica in endpoints.Replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private async ValueTask<DbConnection> OpenAsync(string name, DataIntent intent, CancellationToken cancellationToken)
    {
        _metrics.OperationStarted(name, intent);
        var endpoints = _databases[name];
        var source = intent == DataIntent.Read && _readFromReplicas && endpoints.Replicas.Length > 0
            ? endpoints.Replicas[(int)((uint)Interlocked.Increment(ref endpoints.NextReplica) % (uint)endpoints.Replicas.Length)]
            : endpoints.Primary;
        return await source.OpenConnectionAsync(cancellationToken);
    }

    private static NpgsqlDataSource Build(string connectionString, int maxPoolSize) =>
        new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize }.ConnectionString).Build();

    private sealed class Endpoints(string primaryConnectionString, NpgsqlDataSource primary, NpgsqlDataSource[] replicas)
    {
        public int NextReplica;

        public string PrimaryConnectionString { get; } = primaryConnectionString;

        public NpgsqlDataSource Primary { get; } = primary;

        public NpgsqlDataSource[] Replicas { get; } = replicas;
    }
}

public sealed class PostgresDialect : ISqlDialect
{
    public bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public string InList(string parameter) => $"= ANY({parameter})";
}
