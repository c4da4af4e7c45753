using ScaleShop.Data;

namespace ScaleShop.Storefront.Cart;

public static class CartExtensions
{
    public static IServiceCollection AddCart(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CartOptions, CartOptionsValidator>(configuration, CartOptions.SectionName);
        services.AddSingleton<CartStore>();
        services.AddSingleton<CartService>();
        return services;
    }
}
