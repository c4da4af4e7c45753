using ScaleShop.Data;
using ScaleShop.Storefront.Orders.Payments;
using ScaleShop.Storefront.Orders.Settlement;

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
        services.AddPaymentProvider(configuration);
        services.AddSingleton<SettlementMetrics>();
        services.AddSingleton<OrderSettlement>();
        services.AddSingleton<PendingOrderSettler>();
        services.AddHostedService(sp => sp.GetRequiredService<PendingOrderSettler>());
        services.AddSingleton<StrayCaptureSweep>();
        services.AddSingleton<OrderReconciliation>();
        services.AddHostedService(sp => sp.GetRequiredService<OrderReconciliation>());
        return services;
    }
}
