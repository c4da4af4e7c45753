using Microsoft.Extensions.Options;
using ScaleShop.Anomalies.Detection;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>The streaming detector (ScaleShop.Anomalies, measured on NAB): one per series, one configuration for all.</summary>
public sealed class DetectorAnomalyScorer(IOptions<AnomaliesOptions> options) : IAnomalyScorer
{
    private readonly AnomalyRegistry _registry = new(DetectorOptions.Default with
    {
        Likelihood = DetectorOptions.Default.Likelihood with { LearningPoints = options.Value.DetectorLearningPoints },
    });

    public bool Update(string series, DateTimeOffset at, double value, out double score)
    {
        var result = _registry.Update(series, at, value);
        score = result.Anomaly;
        return result.Alert;
    }
}
