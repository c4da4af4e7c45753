namespace ScaleShop.Storefront.Recommendations;

public static class RecommendationsExtensions
{
    public static IServiceCollection AddRecommendations(this IServiceCollection services) =>
        services.AddSingleton<RecommendationService>();
}
