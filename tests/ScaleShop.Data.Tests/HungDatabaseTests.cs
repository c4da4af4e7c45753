using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ScaleShop.Data.Migrations;
using ScaleShop.Testing;

namespace ScaleShop.Data.Tests;

/// <summary>
/// A server that hangs must fail its statements like a dead one, not hold them for Npgsql's default 30 s (the
/// chaos experiment <c>shard-database-paused</c> found requests piling up behind a paused shard). A statement
/// that outlives <c>Storage:Postgres:CommandTimeoutSeconds</c> stands for the hang here.
/// </summary>
public sealed class HungDatabaseTests : IAsyncLifetime
{
    private readonly string _directory = TestStorage.NewDataDirectory();
    private ServiceProvider _services = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = TestStorage.Settings(_directory);
        settings["Storage:Postgres:CommandTimeoutSeconds"] = "1";
        settings["Storage:Sqlite:BusyTimeoutSeconds"] = "1";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection().AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddScaleShopData(configuration).BuildServiceProvider();
        await _services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await TestStorage.DeleteAsync(_directory);
    }

    [Fact]
    public async Task A_statement_on_a_hung_shard_fails_at_its_timeout_instead_of_waiting_and_is_told_apart_from_a_bug()
    {
        var router = _services.GetRequiredService<IDatabaseRouter>();
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, ct);
        var clock = Stopwatch.StartNew();
        if (TestStorage.IsPostgres)
        {
            // A statement that outlives the command timeout stands for a server that stopped answering.
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("SELECT pg_sleep(20)"));
            // Recognised as a timeout, so the storefront answers 503 with Retry-After (retry later), not 500.
            Assert.True(router.Dialect.IsTimeout(failure), failure.ToString());
        }
        else
        {
            // SQLite has no server to hang; its stand-in is a writer holding the file: the wait for the write lock
            // is bounded by the busy timeout, and ends as "database unavailable" (503) too.
            await using var held = router.BeginWriteTransaction(connection);
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS hang_probe (x INTEGER); INSERT INTO hang_probe VALUES (1);", transaction: held);
            var failure = await Assert.ThrowsAnyAsync<Exception>(async () => await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, ct));
            Assert.IsType<Resilience.DatabaseUnavailableException>(failure);
        }

        // 1 s of timeout (plus Npgsql's cancellation); far below the 20 s the statement asked for.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed}");
    }
}
