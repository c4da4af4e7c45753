namespace ScaleShop.Storefront.Chaos;

public static class ChaosExtensions
{
    public static IServiceCollection AddChaos(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChaosOptions>().Bind(configuration.GetSection(ChaosOptions.SectionName));
        services.AddSingleton<CheckoutFaults>();
        return services;
    }
}
