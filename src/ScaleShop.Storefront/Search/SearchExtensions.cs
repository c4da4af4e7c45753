namespace ScaleShop.Storefront.Search;

public static class SearchExtensions
{
    public static IServiceCollection AddSearch(this IServiceCollection services)
    {
        services.AddSingleton<SearchStore>();
        services.AddSingleton<SearchService>();
        return services;
    }
}
