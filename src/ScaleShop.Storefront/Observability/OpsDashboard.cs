using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Chaos;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Observability;

/// <summary>What the operations page needs to know about itself: how often to refresh, how much history to chart.</summary>
public sealed record OpsPageSettings(double RefreshSeconds, int JourneyWindowMinutes);

/// <summary>
/// One physical database: the logical shards it holds (the catalog holds none), whether it answers a probe
/// now and how fast, its breaker's state, and its replicas.
/// </summary>
public sealed record DatabaseStatus(string Name, int LogicalShards, int PausedShards, bool Up, double? ProbeMs, string? Error, string? Circuit, IReadOnlyList<ReplicaStatus> Replicas);

/// <summary>Faults being injected now: into dependencies' pipelines, and crashes armed between checkout steps.</summary>
public sealed record ChaosStatus(bool Enabled, IReadOnlyDictionary<string, DependencyFault> Faults, IReadOnlyDictionary<string, int> CheckoutCrashes);

/// <summary>The event flow: what waits in the outboxes and per consumer (null, with the error, when a database did not answer), and lag percentiles.</summary>
public sealed record MessagingStatus(long? OutboxPending, IReadOnlyDictionary<string, long>? Deferred, string? Error, LagReport Lag);

public sealed record OpsDashboardView(
    DateTimeOffset GeneratedAt, OpsPageSettings Page, int ShardMapVersion, CacheReading Cache, IReadOnlyList<DatabaseStatus> Databases,
    IReadOnlyDictionary<string, string> Circuits, ChaosStatus Chaos, MessagingStatus Messaging);

/// <summary>
/// Gathers the instance's operational state for the dashboard from what the features already keep: breakers,
/// the chaos switchboard, the shard map, replica and cache instruments, the outboxes. Every database it asks
/// is asked under <see cref="OpsDashboardOptions.ProbeTimeout"/> and its failure is reported, not thrown: the
/// dashboard is read when something is broken, so a broken part must show as broken, not hide the rest.
/// </summary>
public sealed class OpsDashboard(
    IDatabaseRouter databases, CircuitStates circuits, ChaosSwitchboard switchboard, CheckoutFaults checkoutFaults, Outbox outbox,
    DeferredDeliveries deferred, MessagingMetrics messaging, InstrumentReadings instruments, IOptions<OpsDashboardOptions> options, TimeProvider time)
{
    // Breakers of the database pipelines are named after the database (DatabaseResilience).
    private const string DatabaseCircuitPrefix = "db.";

    public async Task<OpsDashboardView> ReadAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var circuitStates = circuits.Snapshot().ToDictionary(c => c.Key, c => c.Value.ToString(), StringComparer.Ordinal);
        var routing = databases.Routing;
        var map = routing.Map;
        var replicas = instruments.Replicas();

        var probes = new List<Task<DatabaseStatus>>
        {
            ProbeAsync(Outbox.CatalogSource, [], ct => databases.OpenCatalogAsync(DataIntent.ReadYourWrites, ct)),
        };
        probes.AddRange(map.PhysicalDatabases.Select((name, index) => ProbeAsync(name,
            Enumerable.Range(0, map.LogicalShardCount).Where(l => map.Assignments[l] == index).ToList(),
            ct => databases.OpenPhysicalShardAsync(name, DataIntent.ReadYourWrites, ct))));
        var messagingStatus = ReadMessagingAsync(cancellationToken);

        return new OpsDashboardView(
            time.GetUtcNow(),
            new OpsPageSettings(settings.RefreshInterval.TotalSeconds, (int)settings.JourneyWindow.TotalMinutes),
            map.Version,
            instruments.Cache(),
            await Task.WhenAll(probes),
            circuitStates,
            new ChaosStatus(switchboard.Enabled, switchboard.Active(), checkoutFaults.Armed.ToDictionary(a => a.Key.ToString(), a => a.Value, StringComparer.Ordinal)),
            await messagingStatus);

        async Task<DatabaseStatus> ProbeAsync(string name, IReadOnlyList<int> logicalShards, Func<CancellationToken, ValueTask<System.Data.Common.DbConnection>> open)
        {
            var started = Stopwatch.GetTimestamp();
            string? error = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(settings.ProbeTimeout);
                await using var connection = await open(timeout.Token);
                await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                error = exception is OperationCanceledException ? $"no answer within {settings.ProbeTimeout.TotalMilliseconds:0} ms" : exception.GetType().Name;
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return new DatabaseStatus(name, logicalShards.Count, logicalShards.Count(routing.IsPaused), error is null, error is null ? Math.Round(elapsed, 2) : null, error,
                circuitStates.GetValueOrDefault(DatabaseCircuitPrefix + name), replicas.GetValueOrDefault(name) ?? []);
        }
    }

    private async Task<MessagingStatus> ReadMessagingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        try
        {
            return new MessagingStatus(await outbox.CountAsync(timeout.Token), await deferred.CountAsync(timeout.Token), null, messaging.Report());
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            return new MessagingStatus(null, null, exception is OperationCanceledException ? "the outboxes did not answer in time" : exception.GetType().Name, messaging.Report());
        }
    }
}
