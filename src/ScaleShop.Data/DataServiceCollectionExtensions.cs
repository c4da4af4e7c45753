using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Seeding;
using ScaleShop.Data.Sharding;
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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DataMetrics>();
        services.TryAddSingleton<ShardedIdGenerator>();
        services.TryAddSingleton<SqliteDatabaseRouter>();
        services.TryAddSingleton<IDatabaseRouter>(sp => sp.GetRequiredService<SqliteDatabaseRouter>());
        services.TryAddSingleton<DatabaseMigrator>();
        services.TryAddSingleton<Seeder>();
        return services;
    }
}
