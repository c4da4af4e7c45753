namespace ScaleShop.Deployment.Canary;

/// <summary>
/// A latency histogram: the number of requests in each bucket (per bucket, not summed over lower buckets as
/// Prometheus' <c>le</c> series are), over ascending upper bounds in milliseconds (a value equal to a bound counts in
/// that bound's bucket), plus one overflow bucket, so <c>Counts.Count == UpperBoundsMs.Count + 1</c>. A gateway's
/// counts grow over time; <see cref="Minus"/> turns two snapshots into the window between them.
/// </summary>
public sealed record LatencyBuckets(IReadOnlyList<double> UpperBoundsMs, IReadOnlyList<long> Counts)
{
    public IReadOnlyList<double> UpperBoundsMs { get; init; } = ValidBounds(UpperBoundsMs);

    public IReadOnlyList<long> Counts { get; init; } = ValidCounts(Counts, UpperBoundsMs);

    public long Total => Counts.Sum();

    public static LatencyBuckets Empty(IReadOnlyList<double> upperBoundsMs)
    {
        ArgumentNullException.ThrowIfNull(upperBoundsMs);
        return new LatencyBuckets(upperBoundsMs, new long[upperBoundsMs.Count + 1]);
    }

    /// <summary>Counts individual latencies into buckets with these bounds (for tests, replays and simulations).</summary>
    public static LatencyBuckets FromSamples(IReadOnlyList<double> upperBoundsMs, IEnumerable<double> samplesMs)
    {
        ArgumentNullException.ThrowIfNull(upperBoundsMs);
        ArgumentNullException.ThrowIfNull(samplesMs);
        var counts = new long[upperBoundsMs.Count + 1];
        var bounds = upperBoundsMs as double[] ?? [.. upperBoundsMs];
        foreach (var sample in samplesMs)
        {
            var index = Array.BinarySearch(bounds, sample);
            counts[index >= 0 ? index : ~index]++;
        }

        return new LatencyBuckets(upperBoundsMs, counts);
    }

    /// <summary>
    /// The q-quantile by linear interpolation inside its bucket, as Prometheus' <c>histogram_quantile</c> does
    /// (the first bucket starts at 0 ms). A quantile in the overflow bucket is reported as the highest bound: the
    /// histogram only knows it is at least that. Null without observations.
    /// </summary>
    public double? Quantile(double q)
    {
        if (double.IsNaN(q) || q < 0 || q > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile lies in [0, 1].");
        }

        var total = Total;
        if (total == 0)
        {
            return null;
        }

        var rank = q * total;
        long below = 0;
        for (var i = 0; i < Counts.Count; i++)
        {
            var count = Counts[i];
            if (count > 0 && below + count >= rank)
            {
                if (i == UpperBoundsMs.Count)
                {
                    return UpperBoundsMs[^1];
                }

                var lower = i == 0 ? 0 : UpperBoundsMs[i - 1];
                return lower + ((UpperBoundsMs[i] - lower) * (rank - below) / count);
            }

            below += count;
        }

        return UpperBoundsMs[^1];
    }

    /// <summary>
    /// The observations made after <paramref name="earlier"/> was taken. Counters only grow, so any bucket that
    /// shrank means the exporter restarted between the snapshots: then, as Prometheus' <c>increase()</c> assumes,
    /// everything counted now is new.
    /// </summary>
    public LatencyBuckets Minus(LatencyBuckets earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (!UpperBoundsMs.SequenceEqual(earlier.UpperBoundsMs))
        {
            throw new ArgumentException("Snapshots with different bucket bounds cannot be subtracted.", nameof(earlier));
        }

        if (IsResetSince(earlier))
        {
            return this;
        }

        return new LatencyBuckets(UpperBoundsMs, Counts.Zip(earlier.Counts, (now, then) => now - then).ToArray());
    }

    internal bool IsResetSince(LatencyBuckets earlier) => Counts.Zip(earlier.Counts).Any(pair => pair.First < pair.Second);

    internal bool HasSameBounds(LatencyBuckets other) => UpperBoundsMs.SequenceEqual(other.UpperBoundsMs);

    // Records compare lists by reference; two snapshots with the same numbers are the same histogram.
    public bool Equals(LatencyBuckets? other) =>
        other is not null && UpperBoundsMs.SequenceEqual(other.UpperBoundsMs) && Counts.SequenceEqual(other.Counts);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var bound in UpperBoundsMs)
        {
            hash.Add(bound);
        }

        foreach (var count in Counts)
        {
            hash.Add(count);
        }

        return hash.ToHashCode();
    }

    private static IReadOnlyList<double> ValidBounds(IReadOnlyList<double> bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds, nameof(UpperBoundsMs));
        if (bounds.Count == 0)
        {
            throw new ArgumentException("A histogram needs at least one upper bound.", nameof(UpperBoundsMs));
        }

        for (var i = 0; i < bounds.Count; i++)
        {
            if (!double.IsFinite(bounds[i]) || bounds[i] < 0 || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                throw new ArgumentException($"Upper bounds must be finite, non-negative and strictly ascending; bound {i} is {bounds[i]}.", nameof(UpperBoundsMs));
            }
        }

        return bounds;
    }

    private static IReadOnlyList<long> ValidCounts(IReadOnlyList<long> counts, IReadOnlyList<double> bounds)
    {
        ArgumentNullException.ThrowIfNull(counts, nameof(Counts));
        if (counts.Count != bounds.Count + 1)
        {
            throw new ArgumentException($"{bounds.Count} bounds need {bounds.Count + 1} counts (the last is the overflow bucket), not {counts.Count}.", nameof(Counts));
        }

        if (counts.Any(c => c < 0))
        {
            throw new ArgumentException("Bucket counts cannot be negative.", nameof(Counts));
        }

        return counts;
    }
}
