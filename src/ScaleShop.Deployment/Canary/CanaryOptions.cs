using System.ComponentModel.DataAnnotations;

namespace ScaleShop.Deployment.Canary;

/// <summary>How a canary is judged against the baseline it runs beside (section <c>Deployment:Canary</c>).</summary>
public sealed class CanaryOptions : IValidatableObject
{
    public const string SectionName = "Deployment:Canary";

    /// <summary>
    /// Requests each side needs before anything but a fast fail is decided (50). With fewer, the normal
    /// approximations behind both tests are poor and one unlucky request moves the error ratio by 2 points; a
    /// canary taking 5% of ~650 requests/s (docs/capacity.md) collects 50 in under two seconds, so the floor costs
    /// almost no time.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MinRequests { get; set; } = 50;

    /// <summary>
    /// Requests the canary needs before <see cref="FastFailErrorRatio"/> alone may fail it (20). At 50% of 20
    /// failing, a version that is actually as good as a 1% baseline would have a chance of about 10⁻¹⁵: the sample
    /// is tiny but the verdict is not in doubt, and a broken version is rolled back within seconds.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MinRequestsForFastFail { get; set; } = 20;

    /// <summary>The canary error ratio that is catastrophic on sight (0.5: half the requests fail).</summary>
    [Range(0.01, 1.0)]
    public double FastFailErrorRatio { get; set; } = 0.5;

    /// <summary>
    /// The chance of failing a canary that is in fact no worse, per test (0.05). A false fail costs a retry of the
    /// deploy; a missed regression costs users, and the convention of 5% keeps the former rare enough that an
    /// operator trusts a fail.
    /// </summary>
    [Range(0.0001, 0.5)]
    public double Significance { get; set; } = 0.05;

    /// <summary>
    /// How much higher the canary's error ratio may be without mattering, in absolute terms (0.01: one point).
    /// The storefront's tightest objective allows 0.05% errors over 30 days (checkout, load/objectives.json); a
    /// canary carries a small share of traffic for minutes, so one point on it spends a few minutes' worth of
    /// the budget at most, while a smaller margin would need tens of thousands of requests to ever pass.
    /// </summary>
    [Range(0.0, 1.0)]
    public double AllowedErrorRatioIncrease { get; set; } = 0.01;

    /// <summary>
    /// How much slower the canary's p50 or p99 may be, relative to the baseline's (0.25: 25%). Together with
    /// <see cref="AllowedLatencyIncreaseMs"/>: a regression must exceed both to matter, so a fast endpoint going
    /// from 4 to 6 ms (50%, 2 ms) does not fail, nor does a 2 s report getting 60 ms slower (3%).
    /// </summary>
    [Range(0.0, 100.0)]
    public double AllowedLatencyIncreaseRatio { get; set; } = 0.25;

    /// <summary>
    /// How much slower, in milliseconds, the canary's p50 or p99 may be (50). A third of the smallest latency
    /// threshold the objectives set (100 ms for browse and search): less than that cannot push a journey over it.
    /// </summary>
    [Range(0.0, 600_000.0)]
    public double AllowedLatencyIncreaseMs { get; set; } = 50;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinRequestsForFastFail > MinRequests)
        {
            yield return new ValidationResult(
                $"{nameof(MinRequestsForFastFail)} ({MinRequestsForFastFail}) cannot exceed {nameof(MinRequests)} ({MinRequests}): the fast fail exists for samples too small for the tests.",
                [nameof(MinRequestsForFastFail), nameof(MinRequests)]);
        }
    }
}
