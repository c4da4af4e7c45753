using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Orders;

public static class OrdersExtensions
{
    public static IServiceCollection AddOrders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrdersOptions>().Bind(configuration.GetSection(OrdersOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OrdersOptions>, OrdersOptionsValidator>();
        services.AddSingleton<OrderStore>();
        services.AddSingleton<OrderService>();
        services.AddSingleton<ReservationSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationSweeper>());
        return services;
    }
}
