using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Chaos;

namespace ScaleShop.Storefront.Anomalies;

public static class AnomaliesExtensions
{
    /// <summary>Incidents (shared store, owners, signed webhooks, the chaos kill switch) and, when enabled, this instance's detector.</summary>
    public static IServiceCollection AddAnomalies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AnomaliesOptions, AnomaliesOptionsValidator>(configuration, AnomaliesOptions.SectionName);
        services.AddSingleton(sp => Ownership.Load(sp.GetRequiredService<IOptions<AnomaliesOptions>>().Value.ResolvedOwnershipPath));
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<TeamSecrets>();
        services.AddSingleton<IChaosKillSwitch, IncidentChaosKillSwitch>();
        services.AddHttpClient(IncidentNotifier.HttpClientName);
        services.AddSingleton<IncidentNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<IncidentNotifier>());
        if (configuration.GetValue($"{AnomaliesOptions.SectionName}:{nameof(AnomaliesOptions.DetectionEnabled)}", new AnomaliesOptions().DetectionEnabled))
        {
            services.AddSingleton<IAnomalyScorer, DetectorAnomalyScorer>();
            services.AddHostedService<SeriesSampler>();
        }

        return services;
    }
}
