using MathNet.Numerics.Distributions;

namespace ScaleShop.Deployment.Canary;

/// <summary>
/// The Mann-Whitney U test on two histograms with the same buckets: the buckets are ordered categories, so every
/// pair of requests in one bucket is a tie and counts one half. The variance carries the tie correction
/// (Σ(t³ − t) over buckets), without which coarse buckets would make the test wildly anti-conservative; the
/// normal approximation with a continuity correction of ½ is accurate at the sample sizes a canary is judged on
/// (at least 50 a side). It needs no assumption about the shape of latency distributions, which are skewed and
/// multi-modal (cache hits and misses).
/// </summary>
internal static class MannWhitney
{
    private const double ContinuityCorrection = 0.5;

    /// <param name="PSlower">One-sided p-value of H1 "the canary's latencies are stochastically larger".</param>
    /// <param name="ProbabilitySlower">P(a canary request is slower than a baseline request) + ½ P(tie): 0.5 when alike.</param>
    public readonly record struct Result(double PSlower, double ProbabilitySlower);

    public static Result CanarySlower(LatencyBuckets baseline, LatencyBuckets canary)
    {
        double canaryTotal = canary.Total;
        double baselineTotal = baseline.Total;
        var all = canaryTotal + baselineTotal;
        double u = 0;
        double baselineBelow = 0;
        double ties = 0;
        for (var i = 0; i < canary.Counts.Count; i++)
        {
            double inCanary = canary.Counts[i];
            double inBaseline = baseline.Counts[i];
            u += inCanary * (baselineBelow + (inBaseline / 2));
            baselineBelow += inBaseline;
            var tied = inCanary + inBaseline;
            ties += (tied * tied * tied) - tied;
        }

        var pairs = canaryTotal * baselineTotal;
        var variance = pairs / 12 * (all + 1 - (ties / (all * (all - 1))));
        if (!(variance > 0))
        {
            // Every request in one bucket: nothing tells the versions apart.
            return new Result(1, 0.5);
        }

        var z = (u - (pairs / 2) - ContinuityCorrection) / Math.Sqrt(variance);
        return new Result(Normal.CDF(0, 1, -z), u / pairs);
    }
}
