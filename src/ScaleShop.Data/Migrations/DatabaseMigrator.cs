using System.Reflection;
using DbUp;
using DbUp.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ScaleShop.Data.Sqlite;

namespace ScaleShop.Data.Migrations;

/// <summary>
/// Brings every database to the current schema with DbUp: versioned scripts embedded in this assembly,
/// one journal table per database, each script in its own transaction. Scripts are written to be
/// re-runnable (IF NOT EXISTS) so that two instances starting together cannot fail each other.
/// </summary>
public sealed class DatabaseMigrator(SqliteDatabaseRouter router, ILogger<DatabaseMigrator> logger)
{
    private const string CatalogScripts = "ScaleShop.Data.Migrations.Sqlite.Catalog.";
    private const string ShardScripts = "ScaleShop.Data.Migrations.Sqlite.Shard.";

    public void MigrateAll()
    {
        foreach (var (name, connectionString) in router.AllDatabases)
        {
            var prefix = name == SqliteDatabaseRouter.CatalogDatabaseName ? CatalogScripts : ShardScripts;
            Migrate(name, connectionString, prefix);
        }
    }

    private void Migrate(string name, string connectionString, string scriptPrefix)
    {
        EnableWriteAheadLog(connectionString);
        var upgrader = DeployChanges.To
            .SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), script => script.StartsWith(scriptPrefix, StringComparison.Ordinal))
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
}
