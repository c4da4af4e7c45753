namespace ScaleShop.Deployment.Canary;

/// <summary>
/// The cumulative traffic of one version as the gateway counts it: requests, failed requests (5xx) and their
/// latencies. Two snapshots give the window between them (<see cref="Minus"/>).
/// </summary>
public sealed record TrafficWindow(long Requests, long Failures, LatencyBuckets Latency)
{
    public long Requests { get; init; } = Requests >= 0 ? Requests : throw new ArgumentOutOfRangeException(nameof(Requests), Requests, "Requests cannot be negative.");

    public long Failures { get; init; } = Failures >= 0 && Failures <= Requests
        ? Failures
        : throw new ArgumentOutOfRangeException(nameof(Failures), Failures, $"Failures lie between 0 and the requests ({Requests}).");

    public LatencyBuckets Latency { get; init; } = Latency ?? throw new ArgumentNullException(nameof(Latency));

    /// <summary>Failures ÷ requests; 0 without requests (nothing failed).</summary>
    public double ErrorRatio => Requests == 0 ? 0 : (double)Failures / Requests;

    public static TrafficWindow Empty(IReadOnlyList<double> upperBoundsMs) => new(0, 0, LatencyBuckets.Empty(upperBoundsMs));

    /// <summary>
    /// The traffic after <paramref name="earlier"/>. A counter that went down means the gateway restarted between
    /// the snapshots; then all of this snapshot is new traffic (Prometheus' reset rule), never a negative window.
    /// </summary>
    public TrafficWindow Minus(TrafficWindow earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (!Latency.HasSameBounds(earlier.Latency))
        {
            throw new ArgumentException("Snapshots with different bucket bounds cannot be subtracted.", nameof(earlier));
        }

        if (Requests < earlier.Requests || Failures < earlier.Failures || Latency.IsResetSince(earlier.Latency))
        {
            return this;
        }

        // Requests and failures can be scraped a moment apart: never let a window hold more failures than requests.
        var requests = Requests - earlier.Requests;
        return new TrafficWindow(requests, Math.Min(requests, Failures - earlier.Failures), Latency.Minus(earlier.Latency));
    }
}
