using System.Globalization;
using ScaleShop.Load;

namespace ScaleShop.Chaos;

/// <summary>
/// The steady state the experiment claims survives its fault: per-journey service level objectives, each for
/// some phases (an SLO of what depends on the broken part may be left out of "during": the degradation contract
/// is that every other SLO holds there), when to give up early, and the invariants checked at the end.
/// <see cref="MinRequestsForLatency"/>: an SLO's p99 is judged only over at least this many requests (fewer, and the
/// "p99" is the slowest of a handful: one stall of a cold path decides it); below it, availability alone is judged.
/// </summary>
public sealed record Hypothesis(IReadOnlyList<Slo> Slos, AbortPolicy Abort, OrderInvariants Invariants, int MinRequestsForLatency = 1)
{
    /// <summary>Every SLO of <paramref name="phase"/> judged over the requests sent in it.</summary>
    public IReadOnlyList<SloResult> Judge(Phase phase, IReadOnlyList<RequestSample> samples) =>
        Slos.Where(slo => slo.Phases.Contains(phase)).Select(slo => slo.Judge(samples, MinRequestsForLatency)).ToList();

    /// <summary>
    /// Why the experiment must stop now, or null: within the sliding window an SLO of this phase with enough
    /// requests to say anything is broken beyond the abort thresholds (far worse than its objective, not just
    /// missing it: a single slow second must not end a run that may still meet its SLOs over the phase).
    /// </summary>
    public string? AbortReason(Phase phase, IReadOnlyList<RequestSample> window)
    {
        foreach (var result in Judge(phase, window))
        {
            if (result.Requests < Abort.MinRequests)
            {
                continue;
            }

            if (result.Availability < Abort.Availability)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{result.Slo.Name}: availability {result.Availability:P2} over the last {Abort.Window.TotalSeconds:0} s is below the abort threshold {Abort.Availability:P2} ({result.Failed} of {result.Requests} failed)");
            }

            if (result.P99Ms > result.Slo.P99Ms * Abort.P99Factor)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{result.Slo.Name}: p99 {result.P99Ms:F0} ms over the last {Abort.Window.TotalSeconds:0} s is above {Abort.P99Factor:0.#} × its budget of {result.Slo.P99Ms:F0} ms");
            }
        }

        return null;
    }
}

/// <summary>
/// One objective: of the requests of <see cref="Journey"/> (of shoppers whose data is on <see cref="Shards"/>,
/// when given), at least <see cref="Availability"/> succeed and the 99th percentile latency (from when each
/// was due) is at most <see cref="P99Ms"/>, in each of <see cref="Phases"/>.
/// </summary>
public sealed record Slo(JourneyKind Journey, IReadOnlySet<string>? Shards, double Availability, double P99Ms, IReadOnlySet<Phase> Phases)
{
    public string Name => Shards is null
        ? Journey.ToString().ToLowerInvariant()
        : $"{Journey.ToString().ToLowerInvariant()} (users on {string.Join(", ", Shards.Order(StringComparer.Ordinal))})";

    public bool Covers(in RequestSample sample) => sample.Journey == Journey && (Shards is null || (sample.Shard is { } shard && Shards.Contains(shard)));

    /// <summary>Judged over <paramref name="samples"/>; the p99 only when they hold at least <paramref name="minRequestsForLatency"/> of this SLO's requests.</summary>
    public SloResult Judge(IReadOnlyList<RequestSample> samples, int minRequestsForLatency = 1)
    {
        var latencies = new List<double>();
        var failed = 0L;
        foreach (var sample in samples)
        {
            if (Covers(sample))
            {
                latencies.Add(sample.LatencyMs);
                failed += sample.Failed ? 1 : 0;
            }
        }

        var p99 = Percentile(latencies, 99);
        var availability = latencies.Count == 0 ? 0 : 1 - ((double)failed / latencies.Count);
        // No request at all is no evidence that the objective held: it is not met.
        var latencyJudged = latencies.Count >= minRequestsForLatency;
        var met = latencies.Count > 0 && availability >= Availability && (!latencyJudged || p99 <= P99Ms);
        return new SloResult(this, latencies.Count, failed, availability, p99, met, latencyJudged);
    }

    /// <summary>Nearest-rank percentile: a value that was measured, never an interpolation.</summary>
    public static double Percentile(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        var rank = (int)Math.Ceiling(percentile / 100 * values.Count);
        return values[Math.Clamp(rank - 1, 0, values.Count - 1)];
    }
}

/// <summary>One SLO's verdict; <see cref="LatencyJudged"/> false: too few requests for a p99, so availability alone decided.</summary>
public sealed record SloResult(Slo Slo, long Requests, long Failed, double Availability, double P99Ms, bool Met, bool LatencyJudged = true);

/// <summary>When a run stops early: over the last <see cref="Window"/>, an SLO with at least <see cref="MinRequests"/> requests whose availability is below <see cref="Availability"/> or whose p99 is above <see cref="P99Factor"/> times its budget.</summary>
public sealed record AbortPolicy(TimeSpan Window, int MinRequests, double Availability, double P99Factor);

/// <summary>
/// What must hold at the end: every order the service acknowledged (201 confirmed, 202 pending payment) is
/// found by its owner afterwards in a known state; and, when <see cref="PendingSettleWithin"/> is set, every
/// order still pending after the rollback settles (confirmed or cancelled) within it.
/// </summary>
public sealed record OrderInvariants(bool AcknowledgedOrdersFound, TimeSpan? PendingSettleWithin)
{
    public static readonly IReadOnlySet<string> KnownStatuses = new HashSet<string>(StringComparer.Ordinal) { "confirmed", "pending_payment", "cancelled" };
}

/// <summary>One request of the experiment's load: when it was sent (due, since the run started), its journey, the shard of its shopper's data (null: anonymous), its latency and whether it failed.</summary>
public readonly record struct RequestSample(TimeSpan At, JourneyKind Journey, string? Shard, double LatencyMs, bool Failed);
