using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Resilience;
using ScaleShop.Data.Sqlite;
using ScaleShop.Resilience;
using ScaleShop.Testing;

namespace ScaleShop.Data.Tests;

/// <summary>
/// A server that hangs must fail its statements like a dead one, not hold them for Npgsql's default 30 s (the
/// chaos experiment <c>shard-database-paused</c> found requests piling up behind a paused shard). A statement
/// that outlives <c>Storage:Postgres:CommandTimeoutSeconds</c> stands for the hang here.
/// <para>
/// A hung server's connections open at once from the pool; only its statements fail, at the command timeout. So
/// statement failures that mean "not answering" must count against the database's breaker, or its users wait a
/// command timeout on every request for as long as the hang lasts. SQLite's stand-in for the hang is a statement
/// waiting out the 1 s busy timeout behind another process's writer.
/// </para>
/// </summary>
public sealed class HungDatabaseTests : IAsyncLifetime
{
    private const int MinimumThroughput = 2;
    // Long enough that a busy machine still refuses twice and opens shard1 before the half-open probe is due.
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(3);

    private readonly string _directory = TestStorage.NewDataDirectory();
    private ServiceProvider _services = null!;

    private IDatabaseRouter Router => _services.GetRequiredService<IDatabaseRouter>();

    public async ValueTask InitializeAsync()
    {
        var settings = TestStorage.Settings(_directory);
        settings["Storage:Postgres:CommandTimeoutSeconds"] = "1";
        settings["Storage:Sqlite:BusyTimeoutSeconds"] = "1";
        settings["Resilience:Databases:BreakerMinimumThroughput"] = MinimumThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Resilience:Databases:BreakerFailureRatio"] = "0.5";
        settings["Resilience:Databases:BreakerSamplingDuration"] = "00:01:00";
        settings["Resilience:Databases:BreakerBreakDuration"] = BreakDuration.ToString();
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

    [Fact]
    public async Task Timed_out_statements_open_the_breaker_of_that_shard_only_and_a_healthy_probe_closes_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var router = Router;
        await using (var setup = await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, ct))
        {
            await setup.ExecuteAsync("CREATE TABLE hang_probe (x INTEGER)");
        }

        // Opened before the hang: work already in flight on shard2 must fail fast too once the breaker is open.
        await using var inFlight = await router.OpenPhysicalShardAsync("shard2", DataIntent.Read, ct);
        await using (await HangAsync("shard2", ct))
        {
            // The breaker's own thresholds decide when (the statements that succeeded above count too).
            for (var timeouts = 0; Circuit("shard2") == CircuitState.Closed; timeouts++)
            {
                Assert.True(timeouts < 10 * MinimumThroughput, "the breaker never opened");
                await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Read, ct);
                // A query, the commonest unit of work: its timeout surfaces where the reader is opened, inside the breaker.
                var timedOut = await Assert.ThrowsAnyAsync<Exception>(() => connection.QueryAsync<object>(HangingStatement));
                Assert.True(router.Dialect.IsTimeout(timedOut), timedOut.ToString());
            }

            // Refused at once by the breaker: the exception says so (a statement that waited would be a timeout).
            var refused = await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await router.OpenPhysicalShardAsync("shard2", DataIntent.Read, ct));
            Assert.Contains("circuit breaker is open", refused.Message);
            Assert.Equal("shard2", refused.Database);
            var refusedStatement = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => inFlight.ExecuteScalarAsync<long>("SELECT 1"));
            Assert.Contains("circuit breaker is open", refusedStatement.Message);

            // The other shards are not affected.
            await using var shard1 = await router.OpenPhysicalShardAsync("shard1", DataIntent.Read, ct);
            Assert.Equal(1, await shard1.ExecuteScalarAsync<long>("SELECT 1"));
            Assert.Equal(CircuitState.Closed, Circuit("shard1"));
        }

        // The hang is over. After the break, the next open is the half-open probe: it runs a statement, and closes the circuit.
        await Task.Delay(BreakDuration + TimeSpan.FromMilliseconds(250), ct);
        await using (var recovered = await router.OpenPhysicalShardAsync("shard2", DataIntent.Read, ct))
        {
            Assert.Equal(CircuitState.Closed, Circuit("shard2"));
            Assert.Equal(0, await recovered.ExecuteScalarAsync<long>("SELECT count(*) FROM hang_probe"));
        }
    }

    [Fact]
    public async Task A_half_open_probe_runs_a_statement_so_a_connection_that_opens_but_does_not_answer_opens_the_circuit_again()
    {
        Assert.SkipUnless(TestStorage.IsPostgres, "PostgreSQL: a pooled open succeeds against a hung server, so the probe must be a statement");
        var ct = TestContext.Current.CancellationToken;
        var router = Router;
        for (var timeouts = 0; Circuit("shard2") == CircuitState.Closed; timeouts++)
        {
            Assert.True(timeouts < 10 * MinimumThroughput, "the breaker never opened");
            await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Read, ct);
            await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync(HangingStatement));
        }
        await Task.Delay(BreakDuration + TimeSpan.FromMilliseconds(250), ct);

        // The pool hands out a connection whose server side is gone (a stand-in for one that does not answer):
        // the open succeeds, the probe's statement fails, and the circuit opens again instead of closing untested.
        var primary = _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.Postgres.Shards["shard2"].Primary!;
        var gone = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(primary) { Pooling = false }.ConnectionString);
        await gone.OpenAsync(ct);
        await using (var killer = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(primary) { Pooling = false }.ConnectionString))
        {
            await killer.OpenAsync(ct);
            await killer.ExecuteAsync("SELECT pg_terminate_backend(@pid)", new { pid = gone.ProcessID });
        }

        var resilience = _services.GetRequiredService<DatabaseResilience>();
        var probe = await Assert.ThrowsAsync<DatabaseUnavailableException>(async () =>
            await resilience.OpenAsync("shard2", router.Dialect, _ => ValueTask.FromResult<System.Data.Common.DbConnection>(gone), ct));
        Assert.Contains("probe", probe.Message);
        Assert.Equal(CircuitState.Open, Circuit("shard2"));
    }

    [Fact]
    public async Task A_commit_the_server_does_not_answer_counts_against_the_breaker_and_leaves_nothing_written()
    {
        Assert.SkipUnless(TestStorage.IsPostgres, "PostgreSQL: a commit fails when the server side of its connection is gone; SQLite has no server to lose");
        var ct = TestContext.Current.CancellationToken;
        var router = Router;
        var primary = _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.Postgres.Shards["shard2"].Primary!;
        // Set up and checked beside the router, so that the breaker's samples are the loop's statements only.
        await using var beside = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(primary) { Pooling = false }.ConnectionString);
        await beside.OpenAsync(ct);
        await beside.ExecuteAsync("CREATE TABLE commit_probe (server_process INTEGER)");

        // Each write succeeds (one statement: it also says which server process holds the transaction); that process is
        // then terminated, so the commit is what fails. Were commits not among the breaker's executions, it would see
        // only successful writes and stay closed; with them, it sees half of its executions fail.
        for (var lost = 0; Circuit("shard2") == CircuitState.Closed; lost++)
        {
            Assert.True(lost < 10 * MinimumThroughput, "the breaker never opened");
            await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, ct);
            await using var transaction = router.BeginWriteTransaction(connection);
            var serverProcess = await connection.ExecuteScalarAsync<int>(
                "INSERT INTO commit_probe VALUES (pg_backend_pid()) RETURNING server_process", transaction: transaction);
            await beside.ExecuteAsync("SELECT pg_terminate_backend(@serverProcess)", new { serverProcess });

            var failure = await Assert.ThrowsAnyAsync<Exception>(() => transaction.CommitAsync(ct));
            Assert.True(router.Dialect.IsUnavailable(failure), failure.ToString());
        }

        Assert.Equal(0, await beside.ExecuteScalarAsync<long>("SELECT count(*) FROM commit_probe"));
    }

    [Fact]
    public async Task Constraint_violations_are_bugs_not_an_outage_and_do_not_count_against_the_breaker()
    {
        var ct = TestContext.Current.CancellationToken;
        var router = Router;
        await using var connection = await router.OpenPhysicalShardAsync("shard2", DataIntent.Write, ct);
        await connection.ExecuteAsync("CREATE TABLE breaker_probe (id BIGINT PRIMARY KEY)");
        await connection.ExecuteAsync("INSERT INTO breaker_probe (id) VALUES (1)");
        for (var i = 0; i < MinimumThroughput * 3; i++)
        {
            var duplicate = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("INSERT INTO breaker_probe (id) VALUES (1)"));
            Assert.True(router.Dialect.IsUniqueViolation(duplicate), duplicate.ToString());
            Assert.False(router.Dialect.IsUnavailable(duplicate));
        }

        Assert.Equal(CircuitState.Closed, Circuit("shard2"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM breaker_probe"));
    }

    private static string HangingStatement => TestStorage.IsPostgres ? "SELECT pg_sleep(20)" : "INSERT INTO hang_probe VALUES (1)";

    private CircuitState Circuit(string database) =>
        _services.GetRequiredService<CircuitStates>().Snapshot().GetValueOrDefault(DatabaseResilience.DependencyName(database), CircuitState.Closed);

    /// <summary>SQLite: another process's writer holds the file, so a write waits out the busy timeout. PostgreSQL: nothing (pg_sleep hangs).</summary>
    private async Task<IAsyncDisposable> HangAsync(string database, CancellationToken cancellationToken)
    {
        if (TestStorage.IsPostgres)
        {
            return new NothingHeld();
        }

        // Not pooled: closing it must end its transaction, not hand the locked connection to the router's pool.
        var holder = new SqliteConnection(new SqliteConnectionStringBuilder(((SqliteDatabaseRouter)Router).ShardConnectionString(database)) { Pooling = false }.ToString());
        await holder.OpenAsync(cancellationToken);
        await holder.ExecuteAsync("BEGIN IMMEDIATE");
        return holder;
    }

    private sealed class NothingHeld : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
