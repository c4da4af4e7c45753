namespace ScaleShop.Storefront.Catalog;

public static class CatalogExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogService>();
        services.AddSingleton<ProductCacheReassertions>();
        services.AddHostedService<ProductCacheReassertionWorker>();
        services.AddSingleton<StockReservations>();
        return services;
    }
}
