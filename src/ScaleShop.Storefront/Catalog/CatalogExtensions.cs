using ScaleShop.Data;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Catalog;

public static class CatalogExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ProjectionOptions, ProjectionOptionsValidator>(configuration, ProjectionOptions.SectionName);
        services.AddSingleton<IEventConsumer, PopularityProjection>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogService>();
        services.AddSingleton<ProductCacheReassertions>();
        services.AddHostedService<ProductCacheReassertionWorker>();
        services.AddSingleton<StockReservations>();
        return services;
    }
}
