using ScaleShop.Deployment.Canary;

namespace ScaleShop.Deployment.Tests;

/// <summary>The tests behind the canary checks, against what can be computed another way.</summary>
public sealed class StatisticsTests
{
    [Theory]
    [InlineData(3, 200, 20, 2000)]
    [InlineData(0, 50, 0, 5000)]
    [InlineData(60, 200, 50, 10_000)]
    public void With_no_margin_the_restricted_estimate_is_the_pooled_ratio(long x1, long n1, long x0, long n0)
    {
        Assert.Equal((double)(x1 + x0) / (n1 + n0), ProportionTest.RestrictedBaselineRatio(x1, n1, x0, n0, 0), 9);
    }

    [Fact]
    public void The_restricted_estimate_respects_the_margin_even_with_no_failures()
    {
        var p0 = ProportionTest.RestrictedBaselineRatio(0, 1000, 0, 1000, 0.01);
        Assert.Equal(0, p0, 9); // the likeliest pair with p1 = p0 + 0.01 is (0.01, 0)
        Assert.True(ProportionTest.Compare(0, 1000, 0, 1000, 0.01).PWithinMargin < 0.01); // and the variance there is not zero
    }

    [Theory]
    [InlineData(30, 1000, 20, 2000, 0.012171)]
    [InlineData(3, 200, 20, 2000, 0.009762)]
    [InlineData(25, 1000, 20, 2000, 0.011048)]
    public void The_restricted_estimate_matches_Farrington_and_Manning_s_closed_form(long x1, long n1, long x0, long n0, double expected)
    {
        // Expected values from the cubic's trigonometric solution in Farrington and Manning (1990), computed apart.
        Assert.Equal(expected, ProportionTest.RestrictedBaselineRatio(x1, n1, x0, n0, 0.01), 6);
    }

    [Fact]
    public void With_no_margin_and_no_correction_the_statistic_is_the_textbook_pooled_z()
    {
        // 30/200 vs 20/200: pooled p = 0.125, se = sqrt(0.125 · 0.875 · 2/200) = 0.03307, z = (0.05 − 0.005) / se.
        var result = ProportionTest.Compare(30, 200, 20, 200, 0);
        var z = (0.05 - 0.005) / Math.Sqrt(0.125 * 0.875 * 2 / 200);
        Assert.Equal(MathNet.Numerics.Distributions.Normal.CDF(0, 1, -z), result.PExcess, 9);
    }

    [Fact]
    public void The_U_statistic_counts_pairs_with_ties_as_halves_like_a_brute_force_count()
    {
        var random = new Random(5);
        double[] bounds = [10, 20, 30, 40];
        var baseline = Enumerable.Range(0, 80).Select(_ => random.NextDouble() * 45).ToList();
        var canary = Enumerable.Range(0, 60).Select(_ => random.NextDouble() * 50).ToList();
        var b = LatencyBuckets.FromSamples(bounds, baseline);
        var c = LatencyBuckets.FromSamples(bounds, canary);
        int Bucket(double v) => bounds.Count(bound => bound < v);
        var slower = canary.Sum(x => baseline.Sum(y => Bucket(x) > Bucket(y) ? 1.0 : Bucket(x) == Bucket(y) ? 0.5 : 0));
        Assert.Equal(slower / (80 * 60), MannWhitney.CanarySlower(b, c).ProbabilitySlower, 12);
    }

    [Fact]
    public void The_U_test_matches_a_hand_computed_example_with_ties()
    {
        // Tie-corrected normal approximation by hand: baseline {1,2,2,3} vs canary {2,3,3,4,4} as bucket numbers.
        // U = 2 + 2 · 3.5 + 2 · 4 = 17 of 20 pairs, mean 10, Σ(t³−t) = 0 + 24 + 24 + 6 = 54, N = 9,
        // variance = 20/12 · (10 − 54/72) = 15.4167, z = (17 − 10 − 0.5)/3.9264 = 1.6555, one-sided p = 0.0489.
        double[] bounds = [1, 2, 3];
        var first = new LatencyBuckets(bounds, [1, 2, 1, 0]);
        var second = new LatencyBuckets(bounds, [0, 1, 2, 2]);
        var result = MannWhitney.CanarySlower(first, second);
        Assert.Equal(17.0 / 20, result.ProbabilitySlower, 12);
        Assert.Equal(0.04892, result.PSlower, 5);
    }

    [Fact]
    public void Everything_in_one_bucket_gives_no_evidence()
    {
        var all = new LatencyBuckets([10.0], [100, 0]);
        Assert.Equal(1, MannWhitney.CanarySlower(all, all).PSlower);
    }
}
