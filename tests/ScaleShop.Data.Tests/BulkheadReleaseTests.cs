using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ScaleShop.Data.Resilience;
using ScaleShop.Data.Sqlite;
using ScaleShop.Testing;

namespace ScaleShop.Data.Tests;

/// <summary>
/// A database's bulkhead slot is the caller's from the open until the connection closes, whatever ends the open:
/// a request timeout or a client gone away cancels opens every day, and a slot kept by a cancelled open is gone
/// for the life of the process (a database with none left answers "bulkhead full" to everyone).
/// </summary>
public sealed class BulkheadReleaseTests : IAsyncLifetime
{
    private readonly string _directory = TestStorage.NewDataDirectory();
    private ServiceProvider _services = null!;

    public ValueTask InitializeAsync()
    {
        var settings = TestStorage.Settings(_directory);
        settings["Resilience:Databases:MaxConcurrentOperations"] = "1";
        settings["Resilience:Databases:MaxQueuedOperations"] = "0";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection().AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddScaleShopData(configuration).BuildServiceProvider();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await TestStorage.DeleteAsync(_directory);
    }

    [Fact]
    public async Task An_open_cancelled_by_its_caller_gives_its_slot_back()
    {
        var resilience = _services.GetRequiredService<DatabaseResilience>();
        var dialect = new SqliteDialect();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var caller = new CancellationTokenSource();

        var hanging = resilience.OpenAsync("bulkhead-probe", dialect, async ct =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            throw new InvalidOperationException("unreachable");
        }, caller.Token).AsTask();
        await started.Task.WaitAsync(TestContext.Current.CancellationToken);
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging);

        // The only slot is free again: the next open gets it (a leaked slot answers "bulkhead full" here).
        await using var connection = await resilience.OpenAsync("bulkhead-probe", dialect, async ct =>
        {
            var opened = new SqliteConnection("Data Source=:memory:");
            await opened.OpenAsync(ct);
            return opened;
        }, TestContext.Current.CancellationToken);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }
}
