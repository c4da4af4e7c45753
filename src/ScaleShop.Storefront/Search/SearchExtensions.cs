using ScaleShop.Data;
using ScaleShop.Storefront.Messaging;

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
        services.AddSingleton<IEventConsumer, SearchIndexProjection>();
        return services;
    }
}
