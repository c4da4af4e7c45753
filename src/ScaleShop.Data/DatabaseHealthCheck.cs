using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ScaleShop.Data;

/// <summary>
/// Readiness of the databases. The catalog unreachable (or the shard map not loaded yet): unhealthy — this
/// instance cannot take orders. A user shard unreachable: degraded, still ready. Every instance sees the same
/// shard down, so taking them all out of rotation would turn an outage of one shard's users into an outage of
/// everyone; the shard's breaker answers its users 503 while the others are served.
/// </summary>
public sealed class DatabaseHealthCheck(IDatabaseRouter databases) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!databases.Routing.IsLoaded)
        {
            return HealthCheckResult.Unhealthy("Starting: the shard map is not loaded yet.");
        }

        var failures = new List<string>();
        await ProbeAsync("catalog", () => databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken));
        var catalogDown = failures.Count > 0;
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            await ProbeAsync(physical, () => databases.OpenPhysicalShardAsync(physical, DataIntent.ReadYourWrites, cancellationToken));
        }

        var description = "Unreachable: " + string.Join(", ", failures);
        return failures.Count == 0 ? HealthCheckResult.Healthy($"catalog and {databases.ShardMap.PhysicalDatabases.Count} shards answer")
            : catalogDown ? HealthCheckResult.Unhealthy(description)
            : HealthCheckResult.Degraded(description + " (their users get 503; everyone else is served)");

        async Task ProbeAsync(string name, Func<ValueTask<System.Data.Common.DbConnection>> open)
        {
            try
            {
                await using var connection = await open();
                await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failures.Add($"{name} ({exception.GetType().Name})");
            }
        }
    }
}
