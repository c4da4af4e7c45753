using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Cluster.Autoscaling;

/// <summary>
/// The autoscaler's loop (section <c>Autoscale</c>, which also holds the rule's own settings:
/// MinInstances, MaxInstances, TargetPerInstance, windows and cooldown).
/// </summary>
public sealed class AutoscaleLoopOptions
{
    public const string SectionName = "Autoscale";

    /// <summary>On at start; <c>scaleshop autoscale on|off</c> switches it at run time.</summary>
    public bool Enabled { get; set; }

    /// <summary>Between two observations of the gateway's traffic (and two recommendations).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}

[OptionsValidator]
public sealed partial class AutoscaleLoopOptionsValidator : IValidateOptions<AutoscaleLoopOptions>;
