using System.Diagnostics;
using ZiggyCreatures.Caching.Fusion;

namespace ScaleShop.Storefront.Caching;

/// <summary>
/// A <c>cache get</c> span around a cache read, tagged with the cache's name and whether it was a hit (no load
/// ran for this caller), so a trace tells a request served from memory or Redis from one that went to the
/// database — whose spans are then children of the miss. With no listener on the source a read is the plain
/// FusionCache call: no span, no closure, no extra state machine.
/// </summary>
public static class CacheTelemetry
{
    public const string SourceName = "ScaleShop.Caching";
    public const string CacheGet = "cache get";
    public const string NameTag = "scaleshop.cache.name";
    public const string HitTag = "scaleshop.cache.hit";

    public static readonly ActivitySource Source = new(SourceName);

    public static ValueTask<T> GetOrSetTracedAsync<T>(
        this IFusionCache cache, string cacheName, string key, Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> factory,
        FusionCacheEntryOptions options, IEnumerable<string>? tags, CancellationToken cancellationToken) =>
        Source.HasListeners()
            ? TracedGetOrSetAsync(cache, cacheName, key, factory, options, tags, cancellationToken)
            : cache.GetOrSetAsync<T>(key, factory, options: options, tags: tags, token: cancellationToken);

    /// <summary>A read without a load (the caller decides what a miss means).</summary>
    public static ValueTask<MaybeValue<T>> TryGetTracedAsync<T>(this IFusionCache cache, string cacheName, string key, FusionCacheEntryOptions options, CancellationToken cancellationToken) =>
        Source.HasListeners()
            ? TracedTryGetAsync<T>(cache, cacheName, key, options, cancellationToken)
            : cache.TryGetAsync<T>(key, options, cancellationToken);

    private static async ValueTask<T> TracedGetOrSetAsync<T>(
        IFusionCache cache, string cacheName, string key, Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> factory,
        FusionCacheEntryOptions options, IEnumerable<string>? tags, CancellationToken cancellationToken)
    {
        using var activity = Start(cacheName);
        if (activity is null)
        {
            return await cache.GetOrSetAsync<T>(key, factory, options: options, tags: tags, token: cancellationToken);
        }

        var loaded = false;
        var value = await cache.GetOrSetAsync<T>(key, (context, ct) =>
        {
            loaded = true;
            return factory(context, ct);
        }, options: options, tags: tags, token: cancellationToken);
        activity.SetTag(HitTag, !loaded);
        return value;
    }

    private static async ValueTask<MaybeValue<T>> TracedTryGetAsync<T>(IFusionCache cache, string cacheName, string key, FusionCacheEntryOptions options, CancellationToken cancellationToken)
    {
        using var activity = Start(cacheName);
        var value = await cache.TryGetAsync<T>(key, options, cancellationToken);
        activity?.SetTag(HitTag, value.HasValue);
        return value;
    }

    private static Activity? Start(string cacheName)
    {
        var activity = Source.StartActivity(CacheGet);
        activity?.SetTag(NameTag, cacheName);
        return activity;
    }
}
