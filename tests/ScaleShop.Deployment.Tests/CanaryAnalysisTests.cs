using System.ComponentModel.DataAnnotations;
using ScaleShop.Deployment.Canary;

namespace ScaleShop.Deployment.Tests;

public sealed class CanaryAnalysisTests
{
    private static readonly CanaryOptions Defaults = new();

    [Fact]
    public void Identical_windows_pass_with_enough_data()
    {
        var window = Traffic.Window(new Random(1), 2000, 0.005);
        var verdict = CanaryAnalysis.Compare(window, window, Defaults);
        Assert.Equal(CanaryOutcome.Pass, verdict.Outcome);
        Assert.True(verdict.Latency.PValue > 0.4, verdict.Summary); // U sits exactly at its mean: no evidence of slowness
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void Independent_samples_of_one_distribution_pass(int seed)
    {
        var random = new Random(seed);
        var verdict = CanaryAnalysis.Compare(Traffic.Window(random, 5000, 0.005), Traffic.Window(random, 5000, 0.005), Defaults);
        Assert.Equal(CanaryOutcome.Pass, verdict.Outcome);
    }

    [Fact]
    public void A_canary_failing_30_percent_against_a_half_percent_baseline_fails()
    {
        var verdict = CanaryAnalysis.Compare(Traffic.Fixed(10_000, 50), Traffic.Fixed(200, 60), Defaults);
        Assert.Equal(CanaryOutcome.Fail, verdict.Outcome);
        Assert.Equal(CanaryOutcome.Fail, verdict.Errors.Outcome);
        Assert.Equal(CanaryOutcome.Pass, verdict.Latency.Outcome);
        Assert.True(verdict.Errors.PValue < 1e-10, verdict.Summary);
        Assert.Equal((0.005, 0.3), (verdict.Errors.Baseline, verdict.Errors.Canary));
        Assert.StartsWith("Fail: errors fail (canary 30% of 200 vs baseline 0.5% of 10000", verdict.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', verdict.Summary);
    }

    [Fact]
    public void One_and_a_half_percent_against_one_percent_on_few_requests_is_inconclusive_not_pass()
    {
        var verdict = CanaryAnalysis.Compare(Traffic.Fixed(2000, 20), Traffic.Fixed(200, 3), Defaults);
        Assert.Equal(CanaryOutcome.Inconclusive, verdict.Errors.Outcome);
        Assert.Equal(CanaryOutcome.Inconclusive, verdict.Outcome);
        Assert.Contains("neither shown", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_ratios_on_plenty_of_requests_pass_because_the_excess_is_within_the_margin()
    {
        var verdict = CanaryAnalysis.Compare(Traffic.Fixed(20_000, 200), Traffic.Fixed(5_000, 75), Defaults);
        Assert.Equal(CanaryOutcome.Pass, verdict.Errors.Outcome);
    }

    [Fact]
    public void The_worked_example_of_the_documentation()
    {
        // docs/deployment-analysis.md quotes these numbers.
        var fail = CanaryAnalysis.Compare(Traffic.Fixed(2000, 20), Traffic.Fixed(1000, 30), Defaults);
        Assert.Equal(CanaryOutcome.Fail, fail.Errors.Outcome);
        Assert.Equal("canary 3% of 1000 vs baseline 1% of 2000, excess +2 pp vs allowed +1 pp, p(worse)=0.039, p(within)=0.979", fail.Errors.Detail);
        var unsure = CanaryAnalysis.Compare(Traffic.Fixed(2000, 20), Traffic.Fixed(1000, 25), Defaults);
        Assert.Equal(CanaryOutcome.Inconclusive, unsure.Errors.Outcome);
        Assert.Equal("canary 2.5% of 1000 vs baseline 1% of 2000, excess +1.5 pp vs allowed +1 pp, p(worse)=0.203, p(within)=0.870: neither shown", unsure.Errors.Detail);
        var pass = CanaryAnalysis.Compare(Traffic.Fixed(2000, 20), Traffic.Fixed(1000, 10), Defaults);
        Assert.Equal(CanaryOutcome.Pass, pass.Errors.Outcome);
        Assert.Equal("canary 1% of 1000 vs baseline 1% of 2000, excess 0 pp vs allowed +1 pp, p(worse)=0.989, p(within)=0.024", pass.Errors.Detail);
    }

    [Fact]
    public void Ten_requests_are_inconclusive_whatever_they_show()
    {
        foreach (var failures in new[] { 0, 1, 5, 10 })
        {
            var verdict = CanaryAnalysis.Compare(Traffic.Fixed(10_000, 10), Traffic.Fixed(10, failures), Defaults);
            Assert.Equal(CanaryOutcome.Inconclusive, verdict.Outcome);
            Assert.Equal(CanaryOutcome.Inconclusive, verdict.Latency.Outcome);
        }
    }

    [Fact]
    public void Below_the_minimum_a_side_nothing_ever_passes()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var small = random.Next(1, Defaults.MinRequests);
            var (baseline, canary) = random.Next(2) == 0
                ? (Traffic.Window(random, small, 0.01), Traffic.Window(random, 5000, 0.01))
                : (Traffic.Window(random, 5000, 0.01), Traffic.Window(random, small, 0.01));
            Assert.NotEqual(CanaryOutcome.Pass, CanaryAnalysis.Compare(baseline, canary, Defaults).Outcome);
        }
    }

    [Fact]
    public void A_catastrophic_canary_fails_fast_below_the_minimum()
    {
        var baseline = Traffic.Fixed(5000, 25);
        var verdict = CanaryAnalysis.Compare(baseline, Traffic.Fixed(20, 11), Defaults);
        Assert.Equal(CanaryOutcome.Fail, verdict.Outcome);
        Assert.Contains("fast fail", verdict.Summary, StringComparison.Ordinal);

        Assert.Equal(CanaryOutcome.Inconclusive, CanaryAnalysis.Compare(baseline, Traffic.Fixed(19, 19), Defaults).Outcome); // too few even for that
        Assert.Equal(CanaryOutcome.Inconclusive, CanaryAnalysis.Compare(baseline, Traffic.Fixed(40, 18), Defaults).Outcome); // 45%: bad, not catastrophic
        // An outage failing both versions alike is not the canary's doing.
        Assert.Equal(CanaryOutcome.Inconclusive, CanaryAnalysis.Compare(Traffic.Fixed(5000, 3000), Traffic.Fixed(30, 18), Defaults).Outcome);
    }

    [Fact]
    public void A_canary_200_ms_slower_fails_on_latency()
    {
        var random = new Random(3);
        var verdict = CanaryAnalysis.Compare(Traffic.Window(random, 1000, 0.005), Traffic.Window(random, 200, 0.005, shiftMs: 200), Defaults);
        Assert.Equal(CanaryOutcome.Fail, verdict.Latency.Outcome);
        Assert.Equal(CanaryOutcome.Fail, verdict.Outcome);
        Assert.True(verdict.Latency.Canary - verdict.Latency.Baseline > 150, verdict.Summary);
        Assert.Contains("p50 and p99 over allowed +25% and +50 ms", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_canary_2_ms_slower_on_plenty_of_data_is_significant_but_does_not_matter()
    {
        var random = new Random(4);
        var verdict = CanaryAnalysis.Compare(Traffic.Window(random, 100_000, 0.005), Traffic.Window(random, 100_000, 0.005, shiftMs: 2), Defaults);
        Assert.True(verdict.Latency.PValue < 1e-6, verdict.Summary); // the test sees it: only the practical threshold lets it pass
        Assert.Equal(CanaryOutcome.Pass, verdict.Latency.Outcome);
        Assert.Equal(CanaryOutcome.Pass, verdict.Outcome);
    }

    [Fact]
    public void A_tail_over_the_margin_that_chance_explains_is_inconclusive()
    {
        // Two slow requests out of 60 move the canary's p99 far past the margin; the rest is the baseline's.
        var random = new Random(6);
        var baseline = Traffic.Window(random, 1000, 0);
        var usual = Traffic.Window(random, 58, 0).Latency.Counts.ToArray();
        usual[^1] += 2;
        var canary = new TrafficWindow(60, 0, new LatencyBuckets(Traffic.Bounds, usual));
        var verdict = CanaryAnalysis.Compare(baseline, canary, Defaults);
        Assert.Equal(CanaryOutcome.Inconclusive, verdict.Latency.Outcome);
        Assert.Contains("but not significant", verdict.Latency.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_and_A_comparisons_fail_rarely_with_the_default_margins()
    {
        var rate = FalseFailRate(Defaults);
        TestContext.Current.TestOutputHelper?.WriteLine($"false fails with the default margins: {rate:P1}");
        Assert.True(rate < 2 * Defaults.Significance, $"{rate}");
    }

    [Fact]
    public void A_and_A_comparisons_fail_at_most_about_alpha_even_with_no_margin_at_all()
    {
        // With the margins at zero only the tests stand between noise and a fail: this measures their size.
        var strict = new CanaryOptions { AllowedErrorRatioIncrease = 0, AllowedLatencyIncreaseMs = 0, AllowedLatencyIncreaseRatio = 0 };
        var rates = FalseFailRates(strict);
        TestContext.Current.TestOutputHelper?.WriteLine($"false fails with no margin: errors {rates.Errors:P1}, latency {rates.Latency:P1}, overall {rates.Overall:P1}");
        Assert.True(rates.Errors < 2 * strict.Significance, $"errors: {rates.Errors}");
        Assert.True(rates.Latency < 2 * strict.Significance, $"latency: {rates.Latency}");
        Assert.True(rates.Latency > strict.Significance / 5, $"latency: {rates.Latency}: the test never fires, it is not testing anything");
    }

    [Fact]
    public void Options_out_of_range_are_refused()
    {
        var window = Traffic.Fixed(100, 1);
        Assert.Throws<ValidationException>(() => CanaryAnalysis.Compare(window, window, new CanaryOptions { Significance = 0 }));
        Assert.Throws<ValidationException>(() => CanaryAnalysis.Compare(window, window, new CanaryOptions { MinRequests = 10, MinRequestsForFastFail = 20 }));
        Assert.Throws<ValidationException>(() => CanaryAnalysis.Compare(window, window, new CanaryOptions { AllowedErrorRatioIncrease = -0.1 }));
    }

    [Fact]
    public void Windows_measured_with_different_buckets_are_refused()
    {
        var other = new TrafficWindow(100, 1, LatencyBuckets.Empty([10, 20]));
        Assert.Throws<ArgumentException>(() => CanaryAnalysis.Compare(Traffic.Fixed(100, 1), other, Defaults));
    }

    private const int Trials = 1000;
    private const int RequestsPerSide = 400;

    private static double FalseFailRate(CanaryOptions options) => FalseFailRates(options).Overall;

    private static (double Overall, double Errors, double Latency) FalseFailRates(CanaryOptions options)
    {
        var random = new Random(20261201);
        var (overall, errors, latency) = (0, 0, 0);
        for (var trial = 0; trial < Trials; trial++)
        {
            var ratio = random.NextDouble() * 0.05;
            var verdict = CanaryAnalysis.Compare(Traffic.Window(random, RequestsPerSide, ratio), Traffic.Window(random, RequestsPerSide, ratio), options);
            overall += verdict.Outcome == CanaryOutcome.Fail ? 1 : 0;
            errors += verdict.Errors.Outcome == CanaryOutcome.Fail ? 1 : 0;
            latency += verdict.Latency.Outcome == CanaryOutcome.Fail ? 1 : 0;
        }

        return ((double)overall / Trials, (double)errors / Trials, (double)latency / Trials);
    }
}
