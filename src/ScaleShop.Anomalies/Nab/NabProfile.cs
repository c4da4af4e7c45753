namespace ScaleShop.Anomalies.Nab;

/// <summary>A NAB cost profile: the reward for an early true positive and the costs of a false positive and of a missed window.</summary>
public sealed record NabProfile(string Name, double TruePositive, double FalsePositive, double FalseNegative)
{
    public static readonly IReadOnlyList<NabProfile> Published =
    [
        new("standard", 1.0, 0.11, 1.0),
        new("reward_low_FP_rate", 1.0, 0.22, 1.0),
        new("reward_low_FN_rate", 1.0, 0.11, 2.0),
    ];
}
