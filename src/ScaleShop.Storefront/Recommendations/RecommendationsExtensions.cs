using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using System.Threading.RateLimiting;
using ScaleShop.Data;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Recommendations;

public static class RecommendationsExtensions
{
    /// <summary>The recommendations service's name as a dependency (its circuit, its chaos switch); its feed's circuit is <see cref="FeedDependencyName"/>.</summary>
    public const string DependencyName = "recommendations";
    public const string FeedDependencyName = "recommendations.feed";

    /// <summary>
    /// The query client's own pipeline, in place of the standard one: bulkhead (refuse at once when full), a
    /// breaker, and one timeout for the whole call. No retry: within 150 ms a retry buys little and doubles the
    /// load on a service that is already slow; the fallback is the retry. The feed client has a breaker and a
    /// longer timeout, chaos, and no retry of its own: the bus's consumer runner retries deliveries with backoff (safe:
    /// the service applies each event id once), and an open breaker fails a delivery at once so the bus defers it.
    /// </summary>
    public static IServiceCollection AddRecommendations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RecommendationsOptions, RecommendationsOptionsValidator>(configuration, RecommendationsOptions.SectionName);
        services.AddDependencyResilience(configuration);
        services.AddSingleton<RecommendationsMetrics>();
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<IEventConsumer, RecommendationsFeed>();

#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers: see AddPaymentProvider
        services.AddHttpClient<RecommendationsClient>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<RecommendationsOptions>>().Value.BaseUrl)
            .RemoveAllResilienceHandlers()
            .AddResilienceHandler(DependencyName, (builder, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<RecommendationsOptions>>().Value;
                builder
                    .AddConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentCalls, QueueLimit = 0 })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        FailureRatio = options.BreakerFailureRatio,
                        MinimumThroughput = options.BreakerMinimumThroughput,
                        SamplingDuration = options.BreakerSamplingDuration,
                        BreakDuration = options.BreakerBreakDuration,
                        StateProvider = context.ServiceProvider.GetRequiredService<CircuitStates>().For(DependencyName),
                    })
                    .AddTimeout(options.Timeout)
                    // Innermost, so the breaker and the timeout meet injected faults as they would real ones.
                    .AddHttpDependencyChaos(DependencyName, context.ServiceProvider.GetRequiredService<ChaosSwitchboard>(),
                        () => new HttpRequestException("Chaos: injected failure of the recommendations service."));
            });

        services.AddHttpClient<RecommendationsFeedClient>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<RecommendationsOptions>>().Value.BaseUrl)
            .RemoveAllResilienceHandlers()
            .AddResilienceHandler(FeedDependencyName, (builder, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<RecommendationsOptions>>().Value;
                builder
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        FailureRatio = options.BreakerFailureRatio,
                        MinimumThroughput = options.FeedBreakerMinimumThroughput,
                        SamplingDuration = options.BreakerSamplingDuration,
                        BreakDuration = options.BreakerBreakDuration,
                        StateProvider = context.ServiceProvider.GetRequiredService<CircuitStates>().For(FeedDependencyName),
                    })
                    .AddTimeout(options.FeedTimeout)
                    // Innermost, as on the query client: a failed delivery is deferred by the bus and sent again.
                    .AddHttpDependencyChaos(FeedDependencyName, context.ServiceProvider.GetRequiredService<ChaosSwitchboard>(),
                        () => new HttpRequestException("Chaos: injected failure of the recommendations feed."));
            });
#pragma warning restore EXTEXP0001
        services.AddThirdPartyHealthCheck<RecommendationsOptions>(DependencyName, recommendations => recommendations.BaseUrl,
            "recommendations fall back to the cached best-sellers");
        return services;
    }
}
