using System.ComponentModel.DataAnnotations;

namespace ScaleShop.Deployment.Autoscaling;

/// <summary>
/// The horizontal autoscaler's settings (section <c>Deployment:Autoscale</c>). The defaults are Kubernetes'
/// HorizontalPodAutoscaler's where it has one, so the behaviour is the one operators already know.
/// </summary>
public sealed class AutoscaleOptions : IValidatableObject
{
    public const string SectionName = "Deployment:Autoscale";

    /// <summary>
    /// Never fewer instances (3): the capacity plan spreads the fleet over three zones and carries the peak with
    /// one lost (load/capacity.json), and fewer than two would make every deploy or crash an outage.
    /// </summary>
    [Range(1, 10_000)]
    public int MinInstances { get; set; } = 3;

    /// <summary>
    /// Never more (20): about three times the seven instances the capacity plan sizes for ten million daily users
    /// (docs/capacity.md). A ceiling against a runaway metric, whose every instance opens database connections.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxInstances { get; set; } = 20;

    /// <summary>
    /// The metric's value one instance should carry (1000 requests/s): about 70% of the 1,548 requests/s knee
    /// measured for one instance (docs/capacity.md), the utilisation the capacity plan runs at, rounded down.
    /// </summary>
    [Range(0.001, double.MaxValue)]
    public double TargetPerInstance { get; set; } = 1000;

    /// <summary>The metric's unit, for the reasons given with each decision.</summary>
    [Required(AllowEmptyStrings = false)]
    public string MetricUnit { get; set; } = "req/s";

    /// <summary>
    /// No change while the load per instance is within this share of the target (0.1: HPA's
    /// <c>--horizontal-pod-autoscaler-tolerance</c>): measurement noise must not resize the fleet.
    /// </summary>
    [Range(0.0, 1.0)]
    public double Tolerance { get; set; } = 0.1;

    /// <summary>
    /// Scale up only to the lowest recommendation of this window (0: HPA's default, react at once): a short spike
    /// that would otherwise buy instances can be ignored by raising it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ScaleUpStabilization { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Scale down only to the highest recommendation of this window (5 min: HPA's default): the fleet shrinks only
    /// after the load stayed low for that long, so a dip between two peaks does not remove instances the next
    /// peak needs.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ScaleDownStabilization { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After any change of size, no scale-down for this long (3 min): new instances start with cold caches and
    /// the metric needs time to reflect the new size before it is trusted to remove any.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ScaleDownCooldown { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// At most this many instances added per decision (4: HPA's default pods policy), or
    /// <see cref="MaxScaleUpPercent"/>, whichever allows more, as HPA's <c>selectPolicy: Max</c> does.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxScaleUpStep { get; set; } = 4;

    /// <summary>
    /// Or at most this share of the current size added per decision (100: HPA's default, doubling); 0 leaves only
    /// <see cref="MaxScaleUpStep"/>. A large fleet can then grow in proportion to itself, a small one by steps.
    /// </summary>
    [Range(0, 1_000)]
    public int MaxScaleUpPercent { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinInstances > MaxInstances)
        {
            yield return new ValidationResult($"{nameof(MinInstances)} ({MinInstances}) cannot exceed {nameof(MaxInstances)} ({MaxInstances}).",
                [nameof(MinInstances), nameof(MaxInstances)]);
        }
    }
}
