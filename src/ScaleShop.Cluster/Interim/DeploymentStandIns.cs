// INTERIM stand-ins for ScaleShop.Deployment (branch deployment-logic), with its announced signatures, so the
// controller builds and runs before that branch lands. Deleted when it is merged.
#pragma warning disable CA1812
using ScaleShop.Slo;

namespace ScaleShop.Deployment.Canary
{
    public sealed record LatencyBuckets(IReadOnlyList<double> UpperBoundsMs, IReadOnlyList<long> Counts)
    {
        public LatencyBuckets Minus(LatencyBuckets earlier) => this with { Counts = Counts.Select((c, i) => c - (i < earlier.Counts.Count ? earlier.Counts[i] : 0)).ToList() };

        public double Quantile(double q)
        {
            var total = Counts.Sum();
            if (total == 0)
            {
                return 0;
            }

            long seen = 0;
            for (var i = 0; i < Counts.Count; i++)
            {
                seen += Counts[i];
                if (seen >= q * total)
                {
                    return i < UpperBoundsMs.Count ? UpperBoundsMs[i] : UpperBoundsMs[^1] * 2;
                }
            }

            return UpperBoundsMs[^1];
        }
    }

    public sealed record TrafficWindow(long Requests, long Failures, LatencyBuckets Latency)
    {
        public TrafficWindow Minus(TrafficWindow earlier) => new(Requests - earlier.Requests, Failures - earlier.Failures, Latency.Minus(earlier.Latency));

        public double ErrorRatio => Requests == 0 ? 0 : (double)Failures / Requests;
    }

    public enum CanaryOutcome
    {
        Pass,
        Fail,
        Inconclusive,
    }

    public sealed record CanaryCheck(CanaryOutcome Outcome, string Summary);

    public sealed record CanaryVerdict(CanaryOutcome Outcome, string Summary, CanaryCheck Errors, CanaryCheck Latency);

    public sealed class CanaryOptions
    {
        public int MinRequests { get; set; } = 200;

        public int MinRequestsForFastFail { get; set; } = 30;

        public double Significance { get; set; } = 0.01;

        public double AllowedErrorRatioIncrease { get; set; } = 0.01;
    }

    public static class CanaryAnalysis
    {
        public static CanaryVerdict Compare(TrafficWindow baseline, TrafficWindow canary, CanaryOptions options)
        {
            // One-sided two-proportion z test (interim): canary error ratio above baseline + allowance.
            var p1 = baseline.ErrorRatio;
            var p2 = canary.ErrorRatio;
            var pooled = (double)(baseline.Failures + canary.Failures) / Math.Max(1, baseline.Requests + canary.Requests);
            var se = Math.Sqrt(Math.Max(pooled * (1 - pooled), 1e-9) * ((1.0 / Math.Max(1, baseline.Requests)) + (1.0 / Math.Max(1, canary.Requests))));
            var z = (p2 - p1 - options.AllowedErrorRatioIncrease) / se;
            var summary = FormattableString.Invariant($"canary {canary.Failures}/{canary.Requests} ({p2:P1}) vs baseline {baseline.Failures}/{baseline.Requests} ({p1:P1}), z={z:0.00}");
            CanaryOutcome outcome;
            if (canary.Requests >= options.MinRequestsForFastFail && z > 2.33)
            {
                outcome = CanaryOutcome.Fail;
            }
            else if (canary.Requests < options.MinRequests || baseline.Requests < options.MinRequests)
            {
                outcome = CanaryOutcome.Inconclusive;
            }
            else
            {
                outcome = CanaryOutcome.Pass;
            }

            var check = new CanaryCheck(outcome, summary);
            return new CanaryVerdict(outcome, summary, check, new CanaryCheck(CanaryOutcome.Pass, "latency not judged (interim)"));
        }
    }
}

namespace ScaleShop.Deployment.Autoscaling
{
    public sealed class AutoscaleOptions
    {
        public int MinInstances { get; set; } = 1;

        public int MaxInstances { get; set; } = 4;

        public double TargetPerInstance { get; set; } = 50;

        public double Tolerance { get; set; } = 0.1;

        public TimeSpan ScaleUpStabilization { get; set; } = TimeSpan.Zero;

        public TimeSpan ScaleDownStabilization { get; set; } = TimeSpan.FromMinutes(5);

        public TimeSpan ScaleDownCooldown { get; set; } = TimeSpan.FromMinutes(1);

        public int MaxScaleUpStep { get; set; } = 4;
    }

    public sealed record ScaleDecision(int Current, int Desired, string Reason);

    public sealed class Autoscaler(AutoscaleOptions options, TimeProvider time)
    {
        private readonly List<(DateTimeOffset At, int Desired)> _recommendations = [];
        private DateTimeOffset _lastScaleDown = DateTimeOffset.MinValue;

        public ScaleDecision Recommend(int current, double observedTotal)
        {
            var now = time.GetUtcNow();
            var perInstance = observedTotal / Math.Max(1, current);
            var ratio = perInstance / options.TargetPerInstance;
            var raw = Math.Abs(ratio - 1) <= options.Tolerance ? current : (int)Math.Ceiling(current * ratio);
            raw = Math.Clamp(raw, options.MinInstances, options.MaxInstances);
            _recommendations.Add((now, raw));
            _recommendations.RemoveAll(r => now - r.At > options.ScaleDownStabilization && now - r.At > options.ScaleUpStabilization);
            int desired;
            if (raw > current)
            {
                desired = Math.Min(_recommendations.Where(r => now - r.At <= options.ScaleUpStabilization).Select(r => r.Desired).DefaultIfEmpty(raw).Min(), current + options.MaxScaleUpStep);
            }
            else
            {
                desired = _recommendations.Where(r => now - r.At <= options.ScaleDownStabilization).Select(r => r.Desired).DefaultIfEmpty(raw).Max();
                if (desired < current && now - _lastScaleDown < options.ScaleDownCooldown)
                {
                    desired = current;
                }
            }

            desired = Math.Clamp(desired, options.MinInstances, options.MaxInstances);
            return new ScaleDecision(current, desired, FormattableString.Invariant($"{observedTotal:0.0}/s over {current} = {perInstance:0.0} per instance, target {options.TargetPerInstance}"));
        }

        public void ScaledTo(int instances) => _lastScaleDown = time.GetUtcNow();
    }
}

namespace ScaleShop.Deployment.Budget
{
    public sealed record BudgetVerdict(bool MayProceed, string Reason, IReadOnlyList<string> Exhausted);

    public static class ErrorBudgetGate
    {
        public static BudgetVerdict Check(IEnumerable<SloReport> reports, double minimumBudgetRemaining)
        {
            var exhausted = reports.SelectMany(r => r.Journeys.SelectMany(j => j.Slis.Where(s => s.Requests > 0 && s.BudgetRemaining < minimumBudgetRemaining).Select(s => $"{j.Journey}/{s.Sli}")))
                .Distinct(StringComparer.Ordinal).ToList();
            return exhausted.Count == 0
                ? new BudgetVerdict(true, "every journey has budget left", exhausted)
                : new BudgetVerdict(false, "budget below the minimum: " + string.Join(", ", exhausted), exhausted);
        }
    }
}
