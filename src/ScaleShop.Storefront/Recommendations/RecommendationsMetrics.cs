using System.Diagnostics.Metrics;

namespace ScaleShop.Storefront.Recommendations;

/// <summary>Recommendations served, by source: a rising <c>fallback</c> share is the service degrading.</summary>
public sealed class RecommendationsMetrics
{
    public const string MeterName = "ScaleShop.Recommendations";

    private readonly Counter<long> _served;

    public RecommendationsMetrics(IMeterFactory meterFactory) =>
        _served = meterFactory.Create(MeterName).CreateCounter<long>("scaleshop.recommendations.served", unit: "{response}", description: "Recommendations answered, by source (personalized, related, popular, fallback).");

    public void Served(string source) => _served.Add(1, new KeyValuePair<string, object?>("source", source));
}
