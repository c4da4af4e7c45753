using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Seeding;
using ScaleShop.Data.Sharding;
using ScaleShop.Testing;

namespace ScaleShop.Data.Tests;

/// <summary>The data tier on real SQLite files: migrations, routing and seeding.</summary>
public sealed class SeederTests : IAsyncLifetime
{
    private readonly string _directory = TestStorage.NewDataDirectory();
    private ServiceProvider _services = null!;

    private IDatabaseRouter Router => _services.GetRequiredService<IDatabaseRouter>();

    public async ValueTask InitializeAsync()
    {
        _services = Build();
        await _services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await TestStorage.DeleteAsync(_directory);
    }

    private ServiceProvider Build(Dictionary<string, string?>? overrides = null)
    {
        var settings = TestStorage.Settings(_directory);
        settings["Storage:Sqlite:Synchronous"] = "Normal";
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddScaleShopData(configuration).BuildServiceProvider();
    }

    [Fact]
    public async Task The_shard_map_is_written_once_to_the_catalog_and_wins_over_later_configuration()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Router.ShardMap;
        await using var reconfigured = Build(new() { ["Storage:LogicalShards"] = "128", ["Storage:PhysicalShards"] = "2" });
        // Instances starting together: every one loads (and would create) the map at once.
        var loaded = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => reconfigured.GetRequiredService<ShardMapStore>().LoadOrCreateAsync(ct)));
        Assert.All(loaded, map =>
        {
            Assert.Equal(first.Version, map.Version);
            Assert.Equal(first.PhysicalDatabases, map.PhysicalDatabases);
            Assert.Equal(first.Assignments, map.Assignments);
        });
        var history = await reconfigured.GetRequiredService<ShardMapStore>().HistoryAsync(ct);
        Assert.Equal([1L], history.Select(h => h.Version));
    }

    [Fact]
    public async Task Migrating_again_changes_nothing()
    {
        var scripts = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
            .Count(name => name.StartsWith($"ScaleShop.Data.Migrations.{TestStorage.Provider}.Catalog.", StringComparison.Ordinal));
        await using (var before = await Router.OpenCatalogAsync(DataIntent.Read, TestContext.Current.CancellationToken))
        {
            Assert.Equal(scripts, await before.ExecuteScalarAsync<long>("SELECT count(*) FROM schemaversions"));
        }

        await _services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(TestContext.Current.CancellationToken);

        await using var connection = await Router.OpenCatalogAsync(DataIntent.Read, TestContext.Current.CancellationToken);
        Assert.Equal(scripts, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schemaversions"));
        Assert.True(scripts >= 2);
    }

    /// <summary>
    /// A release's scripts folder (what the cluster controller points its instances at) with one expand step more than
    /// the build: only that step runs, and the journal names the rest as the embedded scripts do, so migrating with the
    /// embedded scripts afterwards applies nothing (names that differed would run every script again).
    /// </summary>
    [Fact]
    public async Task Scripts_from_a_release_folder_apply_only_what_is_new_and_keep_the_embedded_names()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(_directory, "release-migrations");
        var embedded = WriteEmbeddedScripts(folder);
        var provider = TestStorage.Provider;
        await File.WriteAllTextAsync(Path.Combine(folder, provider, "Catalog", "0100_product_subtitle.sql"), TestStorage.IsPostgres
            ? "ALTER TABLE products ADD COLUMN IF NOT EXISTS subtitle text;\n"
            : "ALTER TABLE products ADD COLUMN subtitle TEXT;\n", ct);
        await File.WriteAllTextAsync(Path.Combine(folder, provider, "Shard", "0100_gift_notes.sql"),
            "CREATE TABLE IF NOT EXISTS gift_notes (order_id bigint PRIMARY KEY, note text NOT NULL);\n", ct);

        await using (var release = Build(new() { ["Storage:MigrationScriptsDirectory"] = folder }))
        {
            await release.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(ct);
        }

        await _services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(ct); // the embedded scripts again: nothing new

        await using (var catalog = await Router.OpenCatalogAsync(DataIntent.Write, ct))
        {
            var journal = (await catalog.QueryAsync<string>("SELECT scriptname FROM schemaversions")).AsList();
            Assert.Equal(embedded[TestStorage.Provider + "/Catalog"] + 1, journal.Count);
            Assert.Contains($"ScaleShop.Data.Migrations.{provider}.Catalog.0100_product_subtitle.sql", journal);
            Assert.Equal(0, await catalog.ExecuteScalarAsync<long>("SELECT count(subtitle) FROM products"));
        }

        foreach (var physical in Router.ShardMap.PhysicalDatabases)
        {
            await using var shard = await Router.OpenPhysicalShardAsync(physical, DataIntent.Write, ct);
            Assert.Equal(embedded[TestStorage.Provider + "/Shard"] + 1, await shard.ExecuteScalarAsync<long>("SELECT count(*) FROM schemaversions"));
            Assert.Equal(0, await shard.ExecuteScalarAsync<long>("SELECT count(*) FROM gift_notes"));
        }
    }

    [Fact]
    public async Task A_release_folder_without_this_providers_scripts_fails_the_start_naming_the_setting()
    {
        var folder = Path.Combine(_directory, "empty-release");
        Directory.CreateDirectory(folder);
        await using var release = Build(new() { ["Storage:MigrationScriptsDirectory"] = folder });

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => release.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Storage:MigrationScriptsDirectory", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"{TestStorage.Provider}/Catalog", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A migration that cannot get its table lock (a long transaction reads the table) gives up at
    /// <c>MigrationLockTimeout</c> rather than queue every later statement on the table behind its own lock request; none
    /// of it is journalled, so the next start applies it.
    /// </summary>
    [Fact]
    public async Task A_migration_blocked_by_a_long_transaction_gives_up_at_its_lock_timeout_and_applies_on_the_next_start()
    {
        Assert.SkipUnless(TestStorage.IsPostgres, "PostgreSQL's lock_timeout; SQLite's writers wait on the busy timeout");
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(_directory, "release-migrations");
        WriteEmbeddedScripts(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "Postgres", "Catalog", "0100_product_subtitle.sql"), "ALTER TABLE products ADD COLUMN IF NOT EXISTS subtitle text;\n", ct);
        var release = new Dictionary<string, string?> { ["Storage:MigrationScriptsDirectory"] = folder, ["Storage:Postgres:MigrationLockTimeout"] = "00:00:01" };

        await using (var report = await Router.OpenCatalogAsync(DataIntent.Write, ct))
        {
            await using var transaction = await report.BeginTransactionAsync(ct);
            await report.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM products", transaction: transaction, cancellationToken: ct)); // its lock lasts to the transaction's end
            await using var blocked = Build(release);
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => blocked.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(ct));
            Assert.Contains("0100_product_subtitle.sql", failure.Message, StringComparison.Ordinal);
            Assert.Equal(Npgsql.PostgresErrorCodes.LockNotAvailable, Assert.IsAssignableFrom<Npgsql.PostgresException>(failure.InnerException).SqlState);
        }

        await using (var next = Build(release))
        {
            await next.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(ct);
        }

        await using var catalog = await Router.OpenCatalogAsync(DataIntent.Write, ct);
        Assert.Equal(0, await catalog.ExecuteScalarAsync<long>("SELECT count(subtitle) FROM products"));
    }

    /// <summary>The embedded scripts as a published version carries them (Provider/Kind/file.sql); returns the count per folder.</summary>
    private static Dictionary<string, int> WriteEmbeddedScripts(string folder)
    {
        const string prefix = "ScaleShop.Data.Migrations.";
        var assembly = typeof(DatabaseMigrator).Assembly;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var parts = name[prefix.Length..].Split('.', 3); // Provider, Kind, file name
            var target = Path.Combine(folder, parts[0], parts[1]);
            Directory.CreateDirectory(target);
            using var resource = assembly.GetManifestResourceStream(name)!;
            using var file = File.Create(Path.Combine(target, parts[2]));
            resource.CopyTo(file);
            counts[parts[0] + "/" + parts[1]] = counts.GetValueOrDefault(parts[0] + "/" + parts[1]) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task Seeded_users_land_on_the_shard_their_email_hashes_to_and_a_rerun_adds_nothing()
    {
        const int users = 20_000;
        var seeder = _services.GetRequiredService<Seeder>();
        await seeder.SeedUsersAsync(users, SeedAccounts.PasswordHash, null, TestContext.Current.CancellationToken);
        await seeder.SeedUsersAsync(users, SeedAccounts.PasswordHash, null, TestContext.Current.CancellationToken);

        var map = Router.ShardMap;
        var total = 0L;
        var logicalShards = new HashSet<int>();
        foreach (var physical in map.PhysicalDatabases)
        {
            await using var connection = await Router.OpenPhysicalShardAsync(physical, DataIntent.Read, TestContext.Current.CancellationToken);
            var rows = (await connection.QueryAsync<(long Id, string Email)>("SELECT id, email FROM accounts")).AsList();
            Assert.InRange(rows.Count, users / map.PhysicalDatabases.Count * 8 / 10, users / map.PhysicalDatabases.Count * 12 / 10);
            foreach (var (id, email) in rows)
            {
                var shard = new ShardedId(id).LogicalShard;
                Assert.Equal(ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(email), map.LogicalShardCount), shard);
                Assert.Equal(physical, map.PhysicalDatabaseOf(shard));
                logicalShards.Add(shard);
            }

            Assert.Equal(rows.Count, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM email_index"));
            total += rows.Count;
        }

        Assert.Equal(users, total);
        Assert.Equal(map.LogicalShardCount, logicalShards.Count);
    }

    [Fact]
    public async Task The_catalog_seed_is_searchable_and_deterministic()
    {
        var seeder = _services.GetRequiredService<Seeder>();
        await seeder.SeedCatalogAsync(2_000, 20, null, TestContext.Current.CancellationToken);
        Assert.Equal(2_000, await seeder.CountProductsAsync(TestContext.Current.CancellationToken));

        await using var connection = await Router.OpenCatalogAsync(DataIntent.Read, TestContext.Current.CancellationToken);
        var name = await connection.ExecuteScalarAsync<string>("SELECT name FROM products WHERE id = 1234");
        Assert.Equal(CatalogGenerator.Product(1234, 20, 2_000).Name, name);
        var matches = await connection.ExecuteScalarAsync<long>(TestStorage.IsPostgres
            ? "SELECT count(*) FROM search_documents WHERE search_vector @@ to_tsquery('english', 'headphones')"
            : "SELECT count(*) FROM search_documents WHERE search_documents MATCH '\"headphones\"'");
        Assert.InRange(matches, 50, 2_000);
        // Seeding fills the search read model with every product, at the product's version.
        Assert.Equal(2_000, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM search_documents"));
        Assert.Equal(20, await connection.ExecuteScalarAsync<long>("SELECT count(DISTINCT category_id) FROM products"));
    }

    [Fact]
    public async Task Every_physical_database_answers_the_health_check()
    {
        foreach (var database in Router.ShardMap.PhysicalDatabases.Prepend(DatabaseHealthCheck.CatalogDatabase))
        {
            var result = await CheckAsync(Router, database);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, result.Status);
        }
    }

    [Fact]
    public async Task An_unreachable_shard_makes_the_health_check_degraded_not_unready()
    {
        var router = Router;
        ServiceProvider? broken = null;
        if (TestStorage.IsPostgres)
        {
            // Nothing listens on port 1: the shard's server is down.
            broken = Build(new() { ["Storage:Postgres:Shards:shard2:Primary"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2" });
            router = broken.GetRequiredService<IDatabaseRouter>();
            await broken.GetRequiredService<ShardMapStore>().RefreshAsync(TestContext.Current.CancellationToken); // the catalog still answers
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Move(Path.Combine(_directory, "shard2.db"), Path.Combine(_directory, "shard2.db.moved"));
            Directory.CreateDirectory(Path.Combine(_directory, "shard2.db"));
        }

        var result = await CheckAsync(router, "shard2");
        // Degraded, not unhealthy: every instance sees the same shard down; readiness false everywhere would take
        // the whole shop offline for one shard's outage.
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, result.Status);
        Assert.Contains("shard2", result.Description, StringComparison.Ordinal);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await CheckAsync(router, "shard1")).Status);
        if (broken is not null)
        {
            await broken.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unreachable_catalog_makes_the_instance_unready()
    {
        var router = Router;
        ServiceProvider? broken = null;
        if (TestStorage.IsPostgres)
        {
            // Nothing listens on port 1: the catalog's server is down (the map this instance had loaded stays).
            broken = Build(new() { ["Storage:Postgres:Catalog:Primary"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2" });
            router = broken.GetRequiredService<IDatabaseRouter>();
            broken.GetRequiredService<ShardRouting>().Install(Router.ShardMap, []);
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Move(Path.Combine(_directory, "catalog.db"), Path.Combine(_directory, "catalog.db.moved"));
            Directory.CreateDirectory(Path.Combine(_directory, "catalog.db"));
        }

        var result = await CheckAsync(router, DatabaseHealthCheck.CatalogDatabase);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("Unreachable: catalog", result.Description, StringComparison.Ordinal);
        if (broken is not null)
        {
            await broken.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_replica_that_does_not_answer_is_degraded_never_unhealthy_and_a_current_one_is_healthy()
    {
        Assert.SkipUnless(TestStorage.IsPostgres, "Replicas exist on the PostgreSQL topology only.");
        var ct = TestContext.Current.CancellationToken;
        await Router.RefreshReplicasAsync(ct);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await ReplicaCheckAsync(_services, "catalog")).Status);

        // Nothing listens on port 1: the replica is down. Its reads go to the primary, so the instance stays ready.
        await using var broken = Build(new() { ["Storage:Postgres:Catalog:Replicas:0"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2" });
        await broken.GetRequiredService<IDatabaseRouter>().RefreshReplicasAsync(ct);
        var result = await ReplicaCheckAsync(broken, "catalog");
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, result.Status);
        Assert.Contains("replica 0 unreachable", result.Description, StringComparison.Ordinal);
    }

    private static Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> ReplicaCheckAsync(ServiceProvider services, string database) =>
        new ReplicaHealthCheck(services.GetRequiredService<IDatabaseRouter>(), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>(), database)
            .CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), TestContext.Current.CancellationToken);

    private static Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckAsync(IDatabaseRouter router, string database) =>
        new DatabaseHealthCheck(router, database).CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), TestContext.Current.CancellationToken);
}
