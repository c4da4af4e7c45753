using ScaleShop.Data;

namespace ScaleShop.Storefront.Search;

public static class SearchExtensions
{
    public static IServiceCollection AddSearch(this IServiceCollection services)
    {
        services.AddSingleton<ISearchStore>(sp =>
        {
            var databases = sp.GetRequiredService<IDatabaseRouter>();
            return databases.Provider == StorageOptions.PostgresProvider ? new PostgresSearchStore(databases) : new SqliteSearchStore(databases);
        });
        services.AddSingleton<SearchService>();
        return services;
    }
}
