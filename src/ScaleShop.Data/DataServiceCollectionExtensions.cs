using ScaleShop.Data.Resilience;
using ScaleShop.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Seeding;
using ScaleShop.Data.Sharding;
using ScaleShop.Data.Sharding.Resharding;
using ScaleShop.Data.Postgres;
using ScaleShop.Data.Sqlite;

namespace ScaleShop.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>The data tier: options, the provider chosen by configuration, ids, migrations, seeding.</summary>
    public static IServiceCollection AddScaleShopData(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<StorageOptions, StorageOptionsValidator>(configuration, StorageOptions.SectionName);
        services.AddValidatedOptions<SeedOptions, SeedOptionsValidator>(configuration, SeedOptions.SectionName);

        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DataMetrics>();
        services.AddValidatedOptions<DatabaseResilienceOptions, DatabaseResilienceOptionsValidator>(configuration, DatabaseResilienceOptions.SectionName);
        services.AddDependencyResilience(configuration);
        services.TryAddSingleton<DatabaseResilience>();
        services.TryAddSingleton<ShardedIdGenerator>();
        services.TryAddSingleton<ShardRouting>();
        services.TryAddSingleton<ShardMapStore>();
        services.TryAddSingleton<ShardMover>();
        // The provider is configuration, read when the router is first needed (so settings added late, as
        // test hosts do, still count): every feature sees only IDatabaseRouter.
        services.TryAddSingleton<IDatabaseRouter>(sp =>
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageOptions.PostgresProvider
                ? ActivatorUtilities.CreateInstance<PostgresDatabaseRouter>(sp)
                : ActivatorUtilities.CreateInstance<SqliteDatabaseRouter>(sp));
        services.TryAddSingleton<DatabaseMigrator>();
        services.AddHostedService<ReplicaMonitor>();
        services.AddHostedService<ShardMapMonitor>();
        services.TryAddSingleton<Seeder>();
        return services;
    }
}
