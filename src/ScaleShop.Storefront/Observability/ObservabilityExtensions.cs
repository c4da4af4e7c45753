using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Slo;

namespace ScaleShop.Storefront.Observability;

public static class ObservabilityExtensions
{
    /// <summary>Journey metrics (the SLIs), this instance's rolling windows over them, and the objectives they are judged by.</summary>
    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SloOptions, SloOptionsValidator>(configuration, SloOptions.SectionName);
        services.AddSingleton(sp => SloObjectives.Load(sp.GetRequiredService<IOptions<SloOptions>>().Value.ResolvedObjectivesPath));
        services.AddSingleton<JourneyMetrics>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SloOptions>>().Value;
            return new JourneyWindows(sp.GetRequiredService<SloObjectives>(), options.BucketWidth, options.SeriesSpan, sp.GetRequiredService<TimeProvider>().GetUtcNow());
        });
        services.AddHostedService<JourneyWindowsFeed>();
        return services;
    }
}
