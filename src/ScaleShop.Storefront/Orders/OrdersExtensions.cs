using ScaleShop.Data;
using ScaleShop.Storefront.Orders.Payments;

namespace ScaleShop.Storefront.Orders;

public static class OrdersExtensions
{
    public static IServiceCollection AddOrders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<OrdersOptions, OrdersOptionsValidator>(configuration, OrdersOptions.SectionName);
        services.AddSingleton<OrderStore>();
        services.AddSingleton<OrderService>();
        services.AddSingleton<ReservationConfirmer>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationConfirmer>());
        services.AddSingleton<ReservationSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationSweeper>());
        // The payment provider's client; checkout starts paying through it with the order state machine.
        services.AddPaymentProvider(configuration);
        return services;
    }
}
