using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Chaos;

public static class ChaosExtensions
{
    public static IServiceCollection AddChaos(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDependencyResilience(configuration); // the kill switch (Chaos:Enabled) and per-dependency faults
        services.AddSingleton<CheckoutFaults>();
        return services;
    }
}
