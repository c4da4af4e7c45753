using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Resilience;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data;

/// <summary>
/// Readiness of one database, probed on its primary. The catalog unreachable (or the shard map not loaded yet):
/// unhealthy — this instance cannot take orders. A user shard unreachable: degraded, still ready. Every instance
/// sees the same shard down, so taking them all out of rotation would turn an outage of one shard's users into
/// an outage of everyone; the shard's breaker answers its users 503 while the others are served.
/// </summary>
public sealed class DatabaseHealthCheck(IDatabaseRouter databases, string database) : IHealthCheck
{
    public const string CatalogDatabase = "catalog";

    public bool IsCatalog => database == CatalogDatabase;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (IsCatalog && !databases.Routing.IsLoaded)
        {
            return HealthCheckResult.Unhealthy("Starting: the shard map is not loaded yet.");
        }

        try
        {
            await using var connection = IsCatalog
                ? await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken)
                : await databases.OpenPhysicalShardAsync(database, DataIntent.ReadYourWrites, cancellationToken);
            await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy($"{database} answers.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var description = $"Unreachable: {database} ({exception.GetType().Name})";
            return IsCatalog
                ? HealthCheckResult.Unhealthy(description + ": no order can be taken.", exception)
                : HealthCheckResult.Degraded(description + ": its users get 503; everyone else is served.", exception);
        }
    }
}

/// <summary>
/// The read replicas of one database. A replica down or more than <see cref="PostgresStorageOptions.MaxReplicaLagBytes"/>
/// behind is degraded, never unhealthy: reads then go to the primary (that is what the router does with it), so
/// the instance still serves everything, only with more load on the primary.
/// </summary>
public sealed class ReplicaHealthCheck(IDatabaseRouter databases, IOptions<StorageOptions> options, string database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var limit = options.Value.Postgres.MaxReplicaLagBytes;
        var replicas = databases.ReplicasOf(database);
        var behind = replicas.Where(r => !r.Healthy || r.LagBytes > limit).ToList();
        var states = string.Join(", ", replicas.Select(r => r.Healthy ? $"replica {r.Index} {r.LagBytes} bytes behind" : $"replica {r.Index} unreachable"));
        return Task.FromResult(behind.Count == 0
            ? HealthCheckResult.Healthy($"{database}: {states}.")
            : HealthCheckResult.Degraded($"{database}: {states} (limit {limit} bytes): its reads go to the primary."));
    }
}

public static class DatabaseHealthChecks
{
    /// <summary>A database's check is named as its resilience pipeline is: <c>db.{name}</c>.</summary>
    public static string CheckName(string database) => DatabaseResilience.DependencyName(database);

    public static string ReplicaCheckName(string database) => CheckName(database) + ".replicas";

    /// <summary>
    /// One readiness check per database the configuration names: the catalog, every physical shard, and the
    /// replicas of each replicated database. Added when the checks are first needed, so configuration that a
    /// host adds late (as test hosts do) counts.
    /// </summary>
    public static IServiceCollection AddDatabaseHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<StorageOptions>>((checks, storageOptions) =>
        {
            var storage = storageOptions.Value;
            var postgres = storage.Provider == StorageOptions.PostgresProvider;
            IEnumerable<string> shards = postgres
                ? storage.Postgres.Shards.Keys.Order(StringComparer.Ordinal)
                : ShardMap.CreateDefault(storage.LogicalShards, storage.PhysicalShards).PhysicalDatabases;
            foreach (var database in shards.Prepend(DatabaseHealthCheck.CatalogDatabase))
            {
                var failure = database == DatabaseHealthCheck.CatalogDatabase ? HealthStatus.Unhealthy : HealthStatus.Degraded;
                checks.Registrations.Add(new HealthCheckRegistration(CheckName(database),
                    sp => new DatabaseHealthCheck(sp.GetRequiredService<IDatabaseRouter>(), database), failure, tags: null));
            }

            if (!postgres)
            {
                return;
            }

            var replicated = storage.Postgres.Shards.Append(new(DatabaseHealthCheck.CatalogDatabase, storage.Postgres.Catalog))
                .Where(d => d.Value.Replicas.Count > 0).Select(d => d.Key).Order(StringComparer.Ordinal);
            foreach (var database in replicated)
            {
                checks.Registrations.Add(new HealthCheckRegistration(ReplicaCheckName(database),
                    sp => new ReplicaHealthCheck(sp.GetRequiredService<IDatabaseRouter>(), sp.GetRequiredService<IOptions<StorageOptions>>(), database),
                    HealthStatus.Degraded, tags: null));
            }
        });
        return services;
    }
}
