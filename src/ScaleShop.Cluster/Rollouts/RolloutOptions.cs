using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Cluster.Rollouts;

/// <summary>How a deploy rolls out (section <c>Rollout</c>; the statistics' own settings are <c>Rollout:Canary</c>).</summary>
public sealed class RolloutOptions
{
    public const string SectionName = "Rollout";

    /// <summary>Share of traffic the single canary instance takes while it is judged.</summary>
    [Range(0.01, 0.5)]
    public double CanaryShare { get; set; } = 0.1;

    /// <summary>Between two canary verdicts (and error budget checks).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:05:00")]
    public TimeSpan AnalysisInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The canary's first moments under traffic (Kayenta's "begin analysis after"): a fresh .NET process is still
    /// compiling its hot paths (tiered JIT), so its tail latency says nothing about the version. During this time
    /// only errors and the error budget can fail it; then the comparison starts afresh from warm traffic alone.
    /// Measured here: a good canary's p99 409 ms against a warm baseline's 32 ms in its first seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan CanaryWarmUp { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Verdicts in a row whose latency check must fail before a latency Fail rolls the canary back (an error Fail and
    /// the error budget act at once). On a busy host one stall of a young process can put a p99 of eighty-odd samples
    /// far over the allowance (seen in CI: a good canary's p99 542 ms against 71 ms, once); a slow release fails every
    /// verdict, so confirming costs it one analysis interval.
    /// </summary>
    [Range(1, 10)]
    public int LatencyFailConfirmations { get; set; } = 2;

    /// <summary>How long the canary may stay inconclusive; then the rollout aborts (or proceeds, see <see cref="ProceedWhenInconclusive"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxAnalysisDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// False (the default): a canary that never gathered enough evidence is rolled back — a rollout never passes on
    /// no evidence. True is for a fleet with so little traffic that no canary could ever be judged.
    /// </summary>
    public bool ProceedWhenInconclusive { get; set; }

    /// <summary>After promotion, the previous version's instances keep running (weight 0) this long, so <c>rollback</c> is instant.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KeepPreviousWarmFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The error budget every journey must have left (share, 0..1) before and during a rollout.</summary>
    [Range(0.0, 1.0)]
    public double MinimumBudgetRemaining { get; set; } = 0.1;

    /// <summary>The gateway weight of an instance that takes its full share.</summary>
    [Range(1, 10_000)]
    public int FullWeight { get; set; } = 100;
}

[OptionsValidator]
public sealed partial class RolloutOptionsValidator : IValidateOptions<RolloutOptions>;
