namespace ScaleShop.Storefront.Messaging;

public static class NatsMessagingExtensions
{
    public static IServiceCollection AddNatsMessaging(this IServiceCollection services, IConfiguration configuration) =>
        throw new NotSupportedException("Messaging:Provider=Nats is being built.");
}
