using Microsoft.Data.Sqlite;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace ScaleShop.Testing;

/// <summary>
/// The databases a test fixture runs on. <c>SCALESHOP_TEST_PROVIDER=Postgres</c> (set by test.sh for its
/// second pass, with the servers of deploy/local/topology.sh) gives every fixture databases of its own on
/// the real PostgreSQL servers, named after its data folder, and JetStream streams of its own on the
/// topology's NATS server; otherwise SQLite files in the data folder and the in-process bus.
/// </summary>
public static class TestStorage
{
    public static bool IsPostgres =>
        string.Equals(Environment.GetEnvironmentVariable("SCALESHOP_TEST_PROVIDER"), "Postgres", StringComparison.OrdinalIgnoreCase);

    public static string Provider => IsPostgres ? "Postgres" : "Sqlite";

    /// <summary>The topology's Redis (<c>SCALESHOP_REDIS</c>), or null when none runs.</summary>
    public static string? Redis => Environment.GetEnvironmentVariable("SCALESHOP_REDIS") is { Length: > 0 } redis ? redis : null;

    /// <summary>The topology's NATS server: <c>ConnectionStrings__nats</c> or <c>SCALESHOP_NATS</c> as its env prints them, else its default port.</summary>
    public static string Nats =>
        Environment.GetEnvironmentVariable("ConnectionStrings__nats") is { Length: > 0 } nats ? nats
        : Environment.GetEnvironmentVariable("SCALESHOP_NATS") is { Length: > 0 } scaleshopNats ? scaleshopNats
        : "nats://127.0.0.1:54222";

    /// <summary>
    /// The <c>Messaging:Nats:Prefix</c> of a fixture: its streams and subjects are its own, as its databases are.
    /// The prefix is at most 32 characters, so it takes part of the folder's (random) name.
    /// </summary>
    public static string NatsPrefix(string dataDirectory)
    {
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataDirectory)).ToLowerInvariant();
        return "t_" + folder[..Math.Min(NatsPrefixFolderCharacters, folder.Length)];
    }

    /// <summary>The settings that put a fixture's events on the topology's JetStream, under a prefix of its own.</summary>
    public static Dictionary<string, string?> NatsSettings(string dataDirectory) => new()
    {
        ["Messaging:Provider"] = "Nats",
        ["ConnectionStrings:nats"] = Nats,
        ["Messaging:Nats:Prefix"] = NatsPrefix(dataDirectory),
    };

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "scaleshop-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Configuration for a fixture whose data folder is <paramref name="dataDirectory"/>; the same folder always names the same databases.</summary>
    public static Dictionary<string, string?> Settings(string dataDirectory)
    {
        var prefix = DatabasePrefix(dataDirectory);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Storage:Provider"] = Provider,
            // Fixtures share one Redis: each keeps to its own keys and backplane channel.
            ["Caching:KeyPrefix"] = prefix + ":",
        };
        if (!IsPostgres)
        {
            return settings;
        }

        // The production topology: PostgreSQL and, when it runs, Redis behind the cache.
        if (Redis is { } redis)
        {
            settings["ConnectionStrings:redis"] = redis;
        }

        foreach (var (key, value) in NatsSettings(dataDirectory))
        {
            settings[key] = value;
        }

        settings["Storage:Postgres:Catalog:Primary"] = Connection(ServerA, $"{prefix}_catalog");
        settings["Storage:Postgres:Catalog:Replicas:0"] = Connection(ReplicaA, $"{prefix}_catalog");
        for (var i = 0; i < 4; i++)
        {
            settings[$"Storage:Postgres:Shards:shard{i}:Primary"] = Connection(i < 2 ? ServerA : ServerB, $"{prefix}_shard{i}");
        }

        // A' replicates all of server A: the catalog, shard0 and shard1 read from it.
        settings["Storage:Postgres:Shards:shard0:Replicas:0"] = Connection(ReplicaA, $"{prefix}_shard0");
        settings["Storage:Postgres:Shards:shard1:Replicas:0"] = Connection(ReplicaA, $"{prefix}_shard1");

        return settings;
    }

    /// <summary>Deletes what a fixture created: its data folder and, on PostgreSQL, its databases.</summary>
    /// <summary>
    /// Waits until replica A′ has replayed everything primary A has written so far (no-op on SQLite). Reads may go to
    /// the replica, which is eventually consistent by design: a fixture that seeds and then reads at once would, on a
    /// busy machine, read a catalog the replica has not replayed yet.
    /// </summary>
    public static async Task WaitForReplicasAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!IsPostgres)
        {
            return;
        }

        await using var primary = new NpgsqlConnection(Connection(ServerA, "postgres"));
        await primary.OpenAsync(cancellationToken);
        await using var written = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", primary);
        var target = (string)(await written.ExecuteScalarAsync(cancellationToken))!;
        await using var replica = new NpgsqlConnection(Connection(ReplicaA, "postgres"));
        await replica.OpenAsync(cancellationToken);
        await using var replayed = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn() >= @target::pg_lsn", replica);
        replayed.Parameters.AddWithValue("target", target);
        var deadline = DateTime.UtcNow + timeout;
        while ((bool?)await replayed.ExecuteScalarAsync(cancellationToken) != true)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Replica A′ had not replayed up to {target} within {timeout}.");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    public static async Task DeleteAsync(string dataDirectory)
    {
        SqliteConnection.ClearAllPools();
        if (IsPostgres)
        {
            NpgsqlConnection.ClearAllPools();
            var prefix = DatabasePrefix(dataDirectory);
            foreach (var (server, database) in new[] { (ServerA, "catalog"), (ServerA, "shard0"), (ServerA, "shard1"), (ServerB, "shard2"), (ServerB, "shard3") })
            {
                await DropAsync(server, $"{prefix}_{database}");
            }

            await DeleteStreamsAsync(dataDirectory);
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Gone already, or a process still holds a file; the temp folder is cleaned later.
        }
    }

    // Best effort: a database still in use (an autovacuum worker is a superuser process the test role may
    // not terminate) is left for `deploy/local/topology.sh drop-test-databases`, which test.sh runs.
    private static async Task DropAsync(string server, string database)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Connection(server, "postgres")) { Pooling = false }.ConnectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)));
            }
        }
    }

    /// <summary>
    /// Best effort: deletes the JetStream streams a fixture's prefix names, wherever it ran on NATS (the Postgres
    /// pass, or a test that asked for NATS itself). Nothing to do, or no server, is fine: leftovers are small.
    /// </summary>
    public static async Task DeleteStreamsAsync(string dataDirectory)
    {
        var streamPrefix = NatsPrefix(dataDirectory).ToUpperInvariant() + "_";
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var connection = new NatsConnection(new NatsOpts { Url = Nats, ConnectTimeout = TimeSpan.FromSeconds(1) });
            var jetStream = new NatsJSContext(connection);
            var names = new List<string>();
            await foreach (var name in jetStream.ListStreamNamesAsync(cancellationToken: timeout.Token))
            {
                names.Add(name);
            }

            foreach (var name in names.Where(n => n.StartsWith(streamPrefix, StringComparison.Ordinal)))
            {
                await jetStream.DeleteStreamAsync(name, timeout.Token);
            }
        }
        catch (Exception exception) when (exception is NatsException or OperationCanceledException)
        {
            // No server (SQLite runs without the topology) or it is slow: the streams, if any, stay.
        }
    }

    // 24 of a GUID's 32 hex digits (96 random bits) keep fixtures apart within the prefix's 32 characters.
    private const int NatsPrefixFolderCharacters = 24;

    private static string ServerA => Required("SCALESHOP_PG_PRIMARY_A");

    private static string ReplicaA => Required("SCALESHOP_PG_REPLICA_A");

    private static string ServerB => Required("SCALESHOP_PG_PRIMARY_B");

    private static string DatabasePrefix(string dataDirectory) => "t_" + Path.GetFileName(Path.TrimEndingDirectorySeparator(dataDirectory)).ToLowerInvariant();

    private static string Connection(string server, string database) => new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: start the topology (deploy/local/topology.sh up) and export its env.");
}
