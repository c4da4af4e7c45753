using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Cart;

public static class CartExtensions
{
    public static IServiceCollection AddCart(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CartOptions>().Bind(configuration.GetSection(CartOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CartOptions>, CartOptionsValidator>();
        services.AddSingleton<CartStore>();
        services.AddSingleton<CartService>();
        return services;
    }
}
