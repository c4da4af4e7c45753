using System.Reflection;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using ScaleShop.Data.Postgres;
using ScaleShop.Data.Sharding;
using ScaleShop.Data.Sqlite;

namespace ScaleShop.Data.Migrations;

/// <summary>
/// Brings every database (the catalog and each physical shard) to the current schema with DbUp: versioned
/// scripts embedded in this assembly (or the same layout in <see cref="StorageOptions.MigrationScriptsDirectory"/>),
/// one folder per provider and database kind, a journal table per database, each script in its own transaction. Running it again applies nothing. Scripts are also
/// written to be re-runnable (IF NOT EXISTS), and on PostgreSQL an advisory lock makes instances that start
/// together migrate one at a time. The shard map lives in the catalog, so the catalog goes first.
/// </summary>
public sealed class DatabaseMigrator(IDatabaseRouter router, ShardMapStore shardMaps, IOptions<StorageOptions> storage, ILogger<DatabaseMigrator> logger)
{
    private const long MigrationLockKey = 0x5CA1_E540_0001;

    /// <summary>The catalog first (it holds the shard map), then the map is loaded, then every physical shard it names.</summary>
    public async Task MigrateAllAsync(CancellationToken cancellationToken = default)
    {
        MigrateCatalog();
        var map = await shardMaps.LoadOrCreateAsync(cancellationToken);
        foreach (var physical in map.PhysicalDatabases)
        {
            MigrateShard(physical);
        }
    }

    public void MigrateCatalog()
    {
        switch (router)
        {
            case SqliteDatabaseRouter sqlite:
                MigrateSqlite(SqliteDatabaseRouter.CatalogDatabaseName, sqlite.CatalogConnectionString, catalog: true);
                break;
            case PostgresDatabaseRouter postgres:
                MigratePostgres(PostgresDatabaseRouter.CatalogDatabaseName, postgres.PrimaryConnectionString(PostgresDatabaseRouter.CatalogDatabaseName), catalog: true);
                break;
            default:
                throw new NotSupportedException($"No migrations for {router.GetType().Name}.");
        }
    }

    /// <summary>Brings one physical user database to the current schema (also a new one, before a shard is moved onto it).</summary>
    public void MigrateShard(string physicalDatabase)
    {
        switch (router)
        {
            case SqliteDatabaseRouter sqlite:
                MigrateSqlite(physicalDatabase, sqlite.ShardConnectionString(physicalDatabase), catalog: false);
                break;
            case PostgresDatabaseRouter postgres:
                MigratePostgres(physicalDatabase, postgres.PrimaryConnectionString(physicalDatabase), catalog: false);
                break;
            default:
                throw new NotSupportedException($"No migrations for {router.GetType().Name}.");
        }
    }

    private void MigrateSqlite(string name, string connectionString, bool catalog)
    {
        EnableWriteAheadLog(connectionString);
        Migrate(name, DeployChanges.To.SqliteDatabase(connectionString), "Sqlite", catalog);
    }

    private void MigratePostgres(string name, string connectionString, bool catalog)
    {
        if (storage.Value.Postgres.CreateMissingDatabases)
        {
            CreateDatabaseIfMissing(connectionString);
        }

        // An unpooled session: a pooled one would keep the advisory lock after Dispose
        // (Npgsql resets a returned session lazily), blocking the next instance to start.
        using var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        lockConnection.Open();
        using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
        {
            take.ExecuteNonQuery();
        }

        try
        {
            Migrate(name, DeployChanges.To.PostgresqlDatabase(WithMigrationLockTimeout(connectionString)), "Postgres", catalog);
        }
        finally
        {
            using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", lockConnection);
            release.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The migrating session's connection string, with <see cref="PostgresStorageOptions.MigrationLockTimeout"/> as its
    /// lock_timeout (the advisory lock's session keeps none: instances starting together wait their turn, however long).
    /// </summary>
    private string WithMigrationLockTimeout(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var lockTimeout = $"-c lock_timeout={(long)storage.Value.Postgres.MigrationLockTimeout.TotalMilliseconds}";
        builder.Options = builder.Options is { Length: > 0 } options ? options + " " + lockTimeout : lockTimeout;
        return builder.ConnectionString;
    }

    private static string Kind(bool catalog) => catalog ? "Catalog" : "Shard";

    /// <summary>The embedded resource prefix of one provider's and kind's scripts: also their names' prefix in the journal.</summary>
    private static string ScriptPrefix(string provider, bool catalog) => $"ScaleShop.Data.Migrations.{provider}.{Kind(catalog)}.";

    private UpgradeEngineBuilder WithScripts(UpgradeEngineBuilder builder, string provider, bool catalog)
    {
        var prefix = ScriptPrefix(provider, catalog);
        if (storage.Value.MigrationScriptsDirectory is not { Length: > 0 } directory)
        {
            return builder.WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), script => script.StartsWith(prefix, StringComparison.Ordinal));
        }

        // A configured folder without this provider's scripts is a broken release, not "nothing to migrate".
        var folder = Path.Combine(directory, provider, Kind(catalog));
        var scripts = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.sql").Select(file => new SqlScript(prefix + Path.GetFileName(file), File.ReadAllText(file))).ToList()
            : [];
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException(
                $"Storage:MigrationScriptsDirectory is '{directory}', but it holds no {provider}/{Kind(catalog)}/*.sql scripts.");
        }

        return builder.WithScripts(scripts);
    }

    private void Migrate(string name, UpgradeEngineBuilder builder, string provider, bool catalog)
    {
        var upgrader = WithScripts(builder, provider, catalog)
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build();

        DatabaseUpgradeResult result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Migrating database '{name}' failed at script {result.ErrorScript?.Name}.", result.Error);
        }

        foreach (var script in result.Scripts)
        {
            logger.LogInformation("Applied migration {Script} to {Database}", script.Name, name);
        }
    }

    // WAL is a property of the file; it must be set outside a transaction, so before DbUp runs.
    private static void EnableWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    private static void CreateDatabaseIfMissing(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var database = target.Database ?? throw new InvalidOperationException("A PostgreSQL connection string must name its database.");
        var server = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        using var connection = new NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @database", connection);
        exists.Parameters.AddWithValue("database", database);
        if (exists.ExecuteScalar() is not null)
        {
            return;
        }

        try
        {
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            create.ExecuteNonQuery();
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it a moment ago.
        }
    }
}
