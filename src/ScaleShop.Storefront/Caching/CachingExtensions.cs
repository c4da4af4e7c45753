using Polly.CircuitBreaker;
using ScaleShop.Data;
using ScaleShop.Resilience;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using OpenTelemetry.Trace;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
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
        services.PostConfigure<CachingOptions>(options => options.Redis ??= configuration.GetConnectionString("redis"));
        services.AddSingleton<CacheMetrics>();
        services.AddDependencyResilience(configuration);
        // Every Redis command a span (through the connections made by RedisConnections); readiness pings Redis when one is configured.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddRedisInstrumentation());
        services.AddSingleton(sp => new RedisConnections(sp.GetService<StackExchangeRedisInstrumentation>()));
        services.AddHealthChecks();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<CachingOptions>>((checks, caching) =>
        {
            if (!string.IsNullOrWhiteSpace(caching.Value.Redis))
            {
                checks.Registrations.Add(new HealthCheckRegistration(RedisConnections.CheckName,
                    sp => sp.GetRequiredService<RedisConnections>(), HealthStatus.Degraded, tags: null));
            }
        });

        services.AddFusionCache()
            .WithSerializer(new FusionCacheSystemTextJsonSerializer())
            .WithOptions(options =>
            {
                var section = configuration.GetSection(CachingOptions.SectionName);
                var defaults = new CachingOptions();
                options.DefaultEntryOptions = new FusionCacheEntryOptions();
                options.CacheKeyPrefix = section[nameof(CachingOptions.KeyPrefix)] ?? defaults.KeyPrefix;
                options.BackplaneChannelPrefix = options.CacheKeyPrefix;
                var breaker = section.GetValue<TimeSpan?>(nameof(CachingOptions.RedisCircuitBreakerDuration)) ?? defaults.RedisCircuitBreakerDuration;
                options.DistributedCacheCircuitBreakerDuration = breaker;
                options.BackplaneCircuitBreakerDuration = breaker;
            })
            .WithPostSetup((serviceProvider, cache) =>
            {
                var caching = serviceProvider.GetRequiredService<IOptions<CachingOptions>>().Value;
                if (!string.IsNullOrWhiteSpace(caching.Redis))
                {
                    UseRedis(cache, caching, serviceProvider.GetRequiredService<ChaosSwitchboard>(), serviceProvider.GetRequiredService<RedisConnections>());
                    var circuits = serviceProvider.GetRequiredService<CircuitStates>();
                    circuits.Report(ChaosDistributedCache.DependencyName, CircuitState.Closed);
                    cache.Events.Distributed.CircuitBreakerChange += (_, e) =>
                        circuits.Report(ChaosDistributedCache.DependencyName, e.IsClosed ? CircuitState.Closed : CircuitState.Open);
                }

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

    /// <summary>
    /// Redis behind the memory level: a miss on one instance is served from what another instance loaded,
    /// and the backplane tells every instance to drop its memory copy when an entry changes or is evicted.
    /// Redis is optional at every step: calls run in the background with a timeout and a circuit breaker, so
    /// with Redis down each instance goes on from memory and the database.
    /// </summary>
    private static void UseRedis(IFusionCache cache, CachingOptions caching, ChaosSwitchboard chaos, RedisConnections connections)
    {
        var redis = ConfigurationOptions.Parse(caching.Redis!);
        redis.AbortOnConnectFail = false;
        redis.ConnectTimeout = (int)caching.RedisTimeout.TotalMilliseconds * 4;
        redis.SyncTimeout = redis.AsyncTimeout = (int)caching.RedisTimeout.TotalMilliseconds * 4;
        // While disconnected, a command fails at once instead of waiting in the client's backlog for the
        // reconnect: the chaos experiment redis-stopped found every breaker probe costing requests a full
        // client time-out (1 s) without it.
        redis.BacklogPolicy = BacklogPolicy.FailFast;

        cache.SetupDistributedCache(new ChaosDistributedCache(new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = connections.Factory(redis) }), chaos));
        cache.SetupBackplane(new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = connections.Factory(redis) }));
        cache.DefaultEntryOptions.DistributedCacheSoftTimeout = caching.RedisTimeout;
        cache.DefaultEntryOptions.DistributedCacheHardTimeout = caching.RedisTimeout * 2;
        cache.DefaultEntryOptions.AllowBackgroundDistributedCacheOperations = true;
        cache.DefaultEntryOptions.AllowBackgroundBackplaneOperations = true;
    }
}
