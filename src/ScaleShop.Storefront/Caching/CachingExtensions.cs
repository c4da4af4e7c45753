using ScaleShop.Data;
using Microsoft.Extensions.Options;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace ScaleShop.Storefront.Caching;

public static class CachingExtensions
{
    /// <summary>
    /// FusionCache: an in-process first level with stampede protection (one factory run per key however many
    /// callers miss together), jittered expiry and fail-safe. A Redis second level and a backplane are the
    /// same builder with <c>WithDistributedCache</c> and <c>WithBackplane</c>; the serializer is already set
    /// so that switch is configuration, not code.
    /// </summary>
    public static IServiceCollection AddStorefrontCaching(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CachingOptions, CachingOptionsValidator>(configuration, CachingOptions.SectionName);
        services.AddSingleton<CacheMetrics>();

        services.AddFusionCache()
            .WithSerializer(new FusionCacheSystemTextJsonSerializer())
            .WithOptions(options => options.DefaultEntryOptions = new FusionCacheEntryOptions())
            .WithPostSetup((serviceProvider, cache) =>
            {
                var caching = serviceProvider.GetRequiredService<IOptions<CachingOptions>>().Value;
                cache.DefaultEntryOptions.Duration = caching.ProductDuration;
                cache.DefaultEntryOptions.JitterMaxDuration = caching.JitterMaxDuration;
                cache.DefaultEntryOptions.IsFailSafeEnabled = true;
                cache.DefaultEntryOptions.FailSafeMaxDuration = caching.FailSafeMaxDuration;
                cache.DefaultEntryOptions.FactorySoftTimeout = caching.FactorySoftTimeout;

                var metrics = serviceProvider.GetRequiredService<CacheMetrics>();
                cache.Events.Hit += (_, e) => metrics.RecordHit(e.IsStale);
                cache.Events.Miss += (_, _) => metrics.RecordMiss();
            });
        return services;
    }
}
