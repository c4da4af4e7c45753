using System.Globalization;

namespace ScaleShop.Deployment.Autoscaling;

public sealed record ScaleDecision(int Current, int Desired, string Reason)
{
    public bool IsChange => Desired != Current;
}

/// <summary>
/// The Kubernetes HorizontalPodAutoscaler's rule (autoscaling/v2), for a metric summed over the ready instances:
/// desired = ⌈current × (per instance ÷ target)⌉ = ⌈total ÷ target⌉, no change while the ratio is within the
/// tolerance; then, as HPA's <c>stabilizeRecommendationWithBehaviors</c> does, never above the highest
/// recommendation of the scale-down window nor below the lowest of the scale-up window; then no scale-down
/// within the cooldown after a change; then the scale-up rate limit; then [min, max]. One instance per
/// controller: it keeps the recommendations of the last windows in memory.
/// </summary>
public sealed class Autoscaler(AutoscaleOptions options, TimeProvider time)
{
    private readonly AutoscaleOptions _options = Validated(options);
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));
    private readonly Lock _gate = new();
    private readonly Queue<(DateTimeOffset At, int Instances)> _recommendations = new();
    private DateTimeOffset? _lastScaled;

    /// <param name="current">The ready instances now.</param>
    /// <param name="observedTotal">The metric summed over those instances (e.g. requests/s through the gateway).</param>
    public ScaleDecision Recommend(int current, double observedTotal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(current);
        if (!double.IsFinite(observedTotal) || observedTotal < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(observedTotal), observedTotal, "The observed metric must be a finite, non-negative number.");
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var (raw, why) = RawRecommendation(current, observedTotal);
            Remember(now, raw);

            // HPA: the scale-up window's lowest and the scale-down window's highest bound the move from current.
            var upBound = Lowest(now - _options.ScaleUpStabilization, raw);
            var downBound = Highest(now - _options.ScaleDownStabilization, raw);
            var desired = Math.Min(Math.Max(current, upBound), downBound);
            var reasons = new List<string> { why };
            if (desired != raw)
            {
                reasons.Add(desired > raw
                    ? $"held at {desired}: the highest recommendation of the last {Duration(_options.ScaleDownStabilization)}"
                    : $"held at {desired}: the lowest recommendation of the last {Duration(_options.ScaleUpStabilization)}");
            }

            if (desired < current && _lastScaled is { } scaled && now - scaled < _options.ScaleDownCooldown)
            {
                desired = current;
                reasons.Add($"no scale-down until {Duration(_options.ScaleDownCooldown - (now - scaled))} from now (cooldown after the change {Duration(now - scaled)} ago)");
            }

            var upLimit = Math.Max(current + _options.MaxScaleUpStep, (int)Math.Ceiling(current * (1 + (_options.MaxScaleUpPercent / 100.0))));
            if (desired > upLimit)
            {
                desired = upLimit;
                reasons.Add($"capped at {upLimit}: at most +{_options.MaxScaleUpStep} or +{_options.MaxScaleUpPercent}% a step");
            }

            var clamped = Math.Clamp(desired, _options.MinInstances, _options.MaxInstances);
            if (clamped != desired)
            {
                reasons.Add(clamped > desired ? $"raised to the minimum {clamped}" : $"limited to the maximum {clamped}");
            }

            reasons.Add(clamped == current ? $"stay at {current}" : $"scale {(clamped > current ? "up" : "down")} {current} → {clamped}");
            return new ScaleDecision(current, clamped, string.Join("; ", reasons));
        }
    }

    /// <summary>Call after the fleet actually changed size: starts the scale-down cooldown.</summary>
    public void ScaledTo(int instances)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(instances);
        lock (_gate)
        {
            _lastScaled = _time.GetUtcNow();
        }
    }

    private (int Instances, string Why) RawRecommendation(int current, double total)
    {
        var unit = _options.MetricUnit;
        if (current == 0)
        {
            // Nothing is ready, so nothing measured the load: restore the floor and let the next decision size it.
            return (_options.MinInstances, $"no ready instances: {_options.MinInstances} (the minimum)");
        }

        var perInstance = total / current;
        var ratio = perInstance / _options.TargetPerInstance;
        var observed = $"observed {Number(total)} {unit} over {current} = {Number(perInstance)} per instance vs target {Number(_options.TargetPerInstance)} (ratio {ratio:0.00})";
        if (Math.Abs(ratio - 1) <= _options.Tolerance)
        {
            return (current, $"{observed}: within the ±{_options.Tolerance:0.##%} tolerance → {current}");
        }

        var raw = (int)Math.Min(int.MaxValue, Math.Ceiling(total / _options.TargetPerInstance));
        return (raw, $"{observed} → {raw}");
    }

    private void Remember(DateTimeOffset now, int instances)
    {
        var keep = now - (_options.ScaleUpStabilization > _options.ScaleDownStabilization ? _options.ScaleUpStabilization : _options.ScaleDownStabilization);
        while (_recommendations.Count > 0 && _recommendations.Peek().At < keep)
        {
            _recommendations.Dequeue();
        }

        _recommendations.Enqueue((now, instances));
    }

    // Strictly after the cutoff, as HPA's timestamp.After(cutoff): a zero window holds only the recommendation made now,
    // not others made at the same instant.
    private int Lowest(DateTimeOffset since, int now) => _recommendations.Where(r => r.At > since).Select(r => r.Instances).Append(now).Min();

    private int Highest(DateTimeOffset since, int now) => _recommendations.Where(r => r.At > since).Select(r => r.Instances).Append(now).Max();

    private static string Number(double value) => value.ToString(value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:0} s" : $"{span.TotalMinutes:0.#} min";

    private static AutoscaleOptions Validated(AutoscaleOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options);
        return options;
    }
}
