using Microsoft.Extensions.Options;
using ScaleShop.Anomalies.Detection;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>
/// The streaming detector (ScaleShop.Anomalies, measured on NAB), one per series, one configuration for all, then
/// the <see cref="SignificanceGate"/>. The detector's own suppression is off here: the gate's confirmation and the
/// incident absorb repeats, and a suppressed series could not report the real fault that follows a blip.
/// </summary>
public sealed class DetectorAnomalyScorer(IOptions<AnomaliesOptions> options) : IAnomalyScorer
{
    private readonly AnomalyRegistry _registry = new(DetectorOptions.Default with
    {
        Stages = DetectorOptions.Default.Stages & ~DetectorStages.Suppression,
        Likelihood = DetectorOptions.Default.Likelihood with { LearningPoints = options.Value.DetectorLearningPoints },
    });

    private readonly SignificanceGate _gate = new(options.Value.Significance);
    private readonly Lock _lock = new();

    public bool Update(string series, DateTimeOffset at, double value, out double score)
    {
        var result = _registry.Update(series, at, value);
        score = result.Likelihood;
        lock (_lock)
        {
            return _gate.Confirm(series, value, result.Likelihood >= DetectorOptions.Default.AlertThreshold);
        }
    }
}
