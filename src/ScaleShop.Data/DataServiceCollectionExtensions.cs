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
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<SeedOptions>().Bind(configuration.GetSection(SeedOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SeedOptions>, SeedOptionsValidator>();

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
