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
    public async Task A_statement_on_a_hung_shard_fails_at_the_command_timeout_instead_of_waiting()
    {
        if (!TestStorage.IsPostgres)
        {
            Assert.Skip("SQLite has no server to hang; its waits are bounded by Storage:Sqlite:BusyTimeoutSeconds.");
        }

        var router = _services.GetRequiredService<IDatabaseRouter>();
        await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("SELECT pg_sleep(20)"));
        // Recognised as a timeout, so the storefront answers 503 with Retry-After (retry later), not 500.
        Assert.True(router.Dialect.IsTimeout(failure), failure.ToString());
        // 1 s of command timeout plus Npgsql's cancellation; far below the 20 s the statement asked for.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed}");
    }
}
