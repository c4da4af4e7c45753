using MathNet.Numerics.Distributions;

namespace ScaleShop.Deployment.Canary;

/// <summary>
/// Two one-sided score tests of the difference of two proportions against a margin δ (Farrington and Manning,
/// 1990): H1 "canary − baseline &gt; δ" (a regression) and H1 "canary − baseline &lt; δ" (shown harmless). The
/// variance is taken at the maximum-likelihood proportions restricted to the null's boundary (difference = δ),
/// not at the observed ones, so a side with no failures still has a variance and the test keeps its size with
/// few events, where the Wald test does not; with δ = 0 it is the pooled two-proportion z-test. Fisher's exact
/// test was not used because it only tests equal proportions, not a margin. A Yates-style continuity correction
/// of (1/n₁ + 1/n₀)/2 is taken against each alternative, which keeps both tests conservative.
/// </summary>
internal static class ProportionTest
{
    // Bisection halves the interval each step: 200 steps reach double precision from any start.
    private const int BisectionSteps = 200;

    public readonly record struct Result(double Difference, double PExcess, double PWithinMargin);

    public static Result Compare(long canaryFailures, long canaryRequests, long baselineFailures, long baselineRequests, double margin)
    {
        var canaryRatio = (double)canaryFailures / canaryRequests;
        var baselineRatio = (double)baselineFailures / baselineRequests;
        var difference = canaryRatio - baselineRatio;
        var baselineUnderNull = RestrictedBaselineRatio(canaryFailures, canaryRequests, baselineFailures, baselineRequests, margin);
        var canaryUnderNull = baselineUnderNull + margin;
        var variance = (canaryUnderNull * (1 - canaryUnderNull) / canaryRequests) + (baselineUnderNull * (1 - baselineUnderNull) / baselineRequests);
        if (!(variance > 0))
        {
            // Both proportions sit at 0 or 1 under the null: the data carry no evidence either way.
            return new Result(difference, 1, 1);
        }

        var standardError = Math.Sqrt(variance);
        var correction = ((1.0 / canaryRequests) + (1.0 / baselineRequests)) / 2;
        var zExcess = (difference - margin - correction) / standardError;
        var zWithin = (difference - margin + correction) / standardError;
        return new Result(difference, Normal.CDF(0, 1, -zExcess), Normal.CDF(0, 1, zWithin));
    }

    /// <summary>
    /// The baseline proportion p₀ maximising the binomial likelihood of both samples subject to p₁ = p₀ + δ. The
    /// log-likelihood is concave in p₀, so its derivative falls monotonically and bisection finds the root (or the
    /// boundary where the maximum sits).
    /// </summary>
    internal static double RestrictedBaselineRatio(long x1, long n1, long x0, long n0, double margin)
    {
        var low = Math.Max(0, -margin);
        var high = Math.Min(1, 1 - margin);
        for (var step = 0; step < BisectionSteps && high > low; step++)
        {
            var p0 = (low + high) / 2;
            var p1 = p0 + margin;
            var slope = Term(x1, p1) - Term(n1 - x1, 1 - p1) + Term(x0, p0) - Term(n0 - x0, 1 - p0);
            if (slope > 0)
            {
                low = p0;
            }
            else
            {
                high = p0;
            }
        }

        return (low + high) / 2;

        // k / p with 0 · anything = 0, so an empty side does not turn a boundary into 0/0.
        static double Term(long k, double p) => k == 0 ? 0 : k / p;
    }
}
