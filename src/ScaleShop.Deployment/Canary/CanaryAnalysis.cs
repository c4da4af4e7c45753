using System.Globalization;

namespace ScaleShop.Deployment.Canary;

public enum CanaryOutcome
{
    Pass,
    Fail,
    Inconclusive,
}

/// <summary>The verdict on a canary: Fail if either check fails, Pass only if both pass, otherwise Inconclusive.</summary>
public sealed record CanaryVerdict(CanaryOutcome Outcome, string Summary, CanaryCheck Errors, CanaryCheck Latency);

/// <summary>
/// One check. For errors, <see cref="Baseline"/> and <see cref="Canary"/> are error ratios; for latency, p99s in
/// milliseconds (0 without data). <see cref="PValue"/> is the one-sided p-value of "the canary is worse by more
/// than allowed" (errors) or "the canary is slower" (latency); null when no test was run.
/// </summary>
public sealed record CanaryCheck(CanaryOutcome Outcome, string Detail, double Baseline, double Canary, double? PValue);

/// <summary>
/// Judges a canary against the baseline serving beside it over the same window. Both checks must be shown
/// harmful beyond chance and beyond a margin that matters before a canary fails, and shown harmless before it
/// passes; between the two the answer is Inconclusive, which a controller treats as "keep watching", never as a
/// pass. docs/deployment-analysis.md explains the statistics with a worked example.
/// </summary>
public static class CanaryAnalysis
{
    private const double Median = 0.5;

    // The objectives' latency SLIs are 0.99 quantiles (load/objectives.json): the tail is what users are promised.
    private const double Tail = 0.99;

    public static CanaryVerdict Compare(TrafficWindow baseline, TrafficWindow canary, CanaryOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(canary);
        OptionsValidation.ThrowIfInvalid(options);
        if (!baseline.Latency.HasSameBounds(canary.Latency))
        {
            throw new ArgumentException("The baseline and the canary must be measured with the same latency buckets.", nameof(canary));
        }

        var errors = CheckErrors(baseline, canary, options);
        var latency = CheckLatency(baseline.Latency, canary.Latency, options);
        var checks = new[] { ("errors", errors), ("latency", latency) };
        var outcome = errors.Outcome == CanaryOutcome.Fail || latency.Outcome == CanaryOutcome.Fail ? CanaryOutcome.Fail
            : errors.Outcome == CanaryOutcome.Pass && latency.Outcome == CanaryOutcome.Pass ? CanaryOutcome.Pass
            : CanaryOutcome.Inconclusive;

        // Name the checks that decided: the failing ones for a fail, the undecided ones for an inconclusive.
        var deciding = outcome == CanaryOutcome.Pass ? checks : checks.Where(c => c.Item2.Outcome == outcome).ToArray();
        var summary = $"{outcome}: " + string.Join("; ", deciding.Select(c => $"{c.Item1} {c.Item2.Outcome.ToString().ToLowerInvariant()} ({c.Item2.Detail})"));
        return new CanaryVerdict(outcome, summary, errors, latency);
    }

    private static CanaryCheck CheckErrors(TrafficWindow baseline, TrafficWindow canary, CanaryOptions options)
    {
        var (b, c) = (baseline.ErrorRatio, canary.ErrorRatio);
        var observed = $"canary {Percent(c)} of {canary.Requests} vs baseline {Percent(b)} of {baseline.Requests}";
        var test = baseline.Requests > 0 && canary.Requests > 0
            ? ProportionTest.Compare(canary.Failures, canary.Requests, baseline.Failures, baseline.Requests, options.AllowedErrorRatioIncrease)
            : (ProportionTest.Result?)null;

        if (baseline.Requests < options.MinRequests || canary.Requests < options.MinRequests)
        {
            // A catastrophe needs no statistics, but it must be the canary's: an outage that fails both versions
            // alike (a database down) is no reason to roll the canary back.
            if (canary.Requests >= options.MinRequestsForFastFail && c >= options.FastFailErrorRatio && c - b > options.AllowedErrorRatioIncrease)
            {
                return new CanaryCheck(CanaryOutcome.Fail, $"fast fail: {observed}, at least {Percent(options.FastFailErrorRatio)} failing over {options.MinRequestsForFastFail}+ requests", b, c, test?.PExcess);
            }

            return new CanaryCheck(CanaryOutcome.Inconclusive, $"{observed}: fewer than {options.MinRequests} requests a side", b, c, test?.PExcess);
        }

        var result = test!.Value;
        var numbers = $"{observed}, excess {Points(result.Difference)} vs allowed {Points(options.AllowedErrorRatioIncrease)}, p(worse)={P(result.PExcess)}, p(within)={P(result.PWithinMargin)}";
        if (result.PExcess < options.Significance && result.Difference > options.AllowedErrorRatioIncrease)
        {
            return new CanaryCheck(CanaryOutcome.Fail, numbers, b, c, result.PExcess);
        }

        return result.PWithinMargin < options.Significance
            ? new CanaryCheck(CanaryOutcome.Pass, numbers, b, c, result.PExcess)
            : new CanaryCheck(CanaryOutcome.Inconclusive, numbers + ": neither shown", b, c, result.PExcess);
    }

    private static CanaryCheck CheckLatency(LatencyBuckets baseline, LatencyBuckets canary, CanaryOptions options)
    {
        var (baselineCount, canaryCount) = (baseline.Total, canary.Total);
        var (b50, b99, c50, c99) = (baseline.Quantile(Median), baseline.Quantile(Tail), canary.Quantile(Median), canary.Quantile(Tail));
        if (baselineCount < options.MinRequests || canaryCount < options.MinRequests || b50 is null || c50 is null || b99 is null || c99 is null)
        {
            return new CanaryCheck(CanaryOutcome.Inconclusive, $"{canaryCount} canary and {baselineCount} baseline latencies, fewer than {options.MinRequests} a side",
                b99 ?? 0, c99 ?? 0, null);
        }

        var test = MannWhitney.CanarySlower(baseline, canary);
        var worse = new[] { ("p50", b50.Value, c50.Value), ("p99", b99.Value, c99.Value) }
            .Where(q => q.Item3 - q.Item2 > q.Item2 * options.AllowedLatencyIncreaseRatio && q.Item3 - q.Item2 > options.AllowedLatencyIncreaseMs)
            .Select(q => q.Item1).ToList();
        var significant = test.PSlower < options.Significance;
        var numbers = $"p50 {Ms(c50.Value)} vs {Ms(b50.Value)}, p99 {Ms(c99.Value)} vs {Ms(b99.Value)}, P(canary slower)={test.ProbabilitySlower:0.000}, p={P(test.PSlower)}";
        var allowed = $"allowed +{options.AllowedLatencyIncreaseRatio:0.##%} and +{options.AllowedLatencyIncreaseMs:0.#} ms";
        if (worse.Count == 0)
        {
            return new CanaryCheck(CanaryOutcome.Pass, $"{numbers}: within {allowed}", b99.Value, c99.Value, test.PSlower);
        }

        // Over the margin but not beyond chance: a tail of a few requests can move a p99 that far on its own.
        return significant
            ? new CanaryCheck(CanaryOutcome.Fail, $"{numbers}: {string.Join(" and ", worse)} over {allowed}", b99.Value, c99.Value, test.PSlower)
            : new CanaryCheck(CanaryOutcome.Inconclusive, $"{numbers}: {string.Join(" and ", worse)} over {allowed} but not significant", b99.Value, c99.Value, test.PSlower);
    }

    private static string Percent(double ratio) => (ratio * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Points(double difference) => (difference * 100).ToString("+0.##;-0.##;0", CultureInfo.InvariantCulture) + " pp";

    private static string Ms(double ms) => ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms";

    private static string P(double p) => p.ToString(p < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);
}
