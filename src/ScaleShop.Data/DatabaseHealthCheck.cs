using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ScaleShop.Data;

/// <summary>Ready only when the catalog and every physical shard answer a query.</summary>
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
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            await ProbeAsync(physical, () => databases.OpenPhysicalShardAsync(physical, DataIntent.ReadYourWrites, cancellationToken));
        }

        return failures.Count == 0
            ? HealthCheckResult.Healthy($"catalog and {databases.ShardMap.PhysicalDatabases.Count} shards answer")
            : HealthCheckResult.Unhealthy("Unreachable: " + string.Join(", ", failures));

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
