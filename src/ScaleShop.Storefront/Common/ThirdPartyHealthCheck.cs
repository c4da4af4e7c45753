using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Common;

/// <summary>
/// A service the storefront degrades around by design (the payment provider: orders are accepted as pending;
/// recommendations: the cached best-sellers are shown). Its failure is reported Degraded, never Unhealthy: every
/// instance sees the same third party down, and an instance must not leave the load balancer because of it.
/// Degraded while its breaker is open (real traffic already failed), or when its readiness probe does not say 200.
/// </summary>
public sealed class ThirdPartyHealthCheck(IHttpClientFactory clients, CircuitStates circuits, string dependency, Uri baseUrl, string whileDown) : IHealthCheck
{
    /// <summary>A plain client: no retries (a probe asks once, within its check timeout), no breaker of its own.</summary>
    public const string ClientName = "health-probes";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (circuits.For(dependency).CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return HealthCheckResult.Degraded($"{dependency}: circuit open; {whileDown}.");
        }

        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(new Uri(baseUrl, "health/ready"), cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"{dependency} is ready.")
                : HealthCheckResult.Degraded($"{dependency} answers {(int)response.StatusCode}; {whileDown}.");
        }
        catch (HttpRequestException exception)
        {
            return HealthCheckResult.Degraded($"{dependency} does not answer ({exception.HttpRequestError}); {whileDown}.", exception);
        }
    }
}

public static class ThirdPartyHealthCheckExtensions
{
    /// <summary>Readiness reports <paramref name="dependency"/> (Degraded on failure or timeout, never Unhealthy).</summary>
    public static IServiceCollection AddThirdPartyHealthCheck<TOptions>(this IServiceCollection services, string dependency, Func<TOptions, Uri> baseUrl, string whileDown)
        where TOptions : class
    {
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers: see AddPaymentProvider
        services.AddHttpClient(ThirdPartyHealthCheck.ClientName).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddHealthChecks().Add(new HealthCheckRegistration(dependency,
            sp => new ThirdPartyHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<CircuitStates>(), dependency,
                baseUrl(sp.GetRequiredService<IOptions<TOptions>>().Value), whileDown),
            HealthStatus.Degraded, tags: null));
        return services;
    }
}
