namespace ScaleShop.Storefront.Anomalies;

/// <summary>
/// How big a change must be to matter, per kind of series: statistically surprising is not enough for a page
/// (a p99 from 2 to 3 ms is surprising and harmless). Section <c>Anomalies:Significance</c>.
/// </summary>
public sealed class SignificanceOptions
{
    /// <summary>Latency series (<c>*_ms</c>): the change must be at least this share of the baseline…</summary>
    public double LatencyRelative { get; set; } = 1.0;

    /// <summary>
    /// …and at least this many milliseconds. A p99 moving by less is the latency SLO's to judge (its burn alerts
    /// page on it when it matters); a p99 of a dozen requests on a busy machine swings by a hundred ms unprompted.
    /// </summary>
    public double LatencyAbsoluteMs { get; set; } = 250;

    /// <summary>Rates (<c>*.rate</c>): at least this share of the baseline, and at least <see cref="RateAbsolute"/> per second.</summary>
    public double RateRelative { get; set; } = 0.5;

    public double RateAbsolute { get; set; } = 1;

    /// <summary>Error and failure ratios: a rise of at least this much.</summary>
    public double RatioAbsolute { get; set; } = 0.05;

    /// <summary>The cache hit ratio: a fall of at least this much (it moves with what shoppers look at; a warm cache rising is good news).</summary>
    public double HitRatioAbsolute { get; set; } = 0.25;

    /// <summary>Byte counts (replica lag): at least this many bytes.</summary>
    public double BytesAbsolute { get; set; } = 16 * 1024 * 1024;

    /// <summary>Weight of each point in a series' baseline (an exponentially weighted mean): about the last 1/weight points.</summary>
    public double BaselineWeight { get; set; } = 0.02;
}

/// <summary>
/// Turns the detector's verdicts into signals: a point the detector finds surprising becomes a signal only when
/// the change is also large enough to matter (<see cref="SignificanceOptions"/>) and still there on the next point.
/// A one-interval blip never pages; a fault that persists is filed one interval after it shows. This replaces the
/// detector's own suppression in the service: repeats are absorbed by the incident, and an unconfirmed blip must
/// not blind a series for the next hundred points.
/// </summary>
public sealed class SignificanceGate(SignificanceOptions options)
{
    private readonly Dictionary<string, State> _series = new(StringComparer.Ordinal);

    /// <summary>
    /// True when this point confirms a change: surprising and significant on the previous point, and significant now in
    /// the same direction. A rate that stalls for an interval and then catches up (a paused process, its queued
    /// requests arriving at once) is down then up: two significant points, but not one change that persists.
    /// </summary>
    public bool Confirm(string series, double value, bool surprising)
    {
        if (!_series.TryGetValue(series, out var state))
        {
            _series[series] = new State { Baseline = value };
            return false;
        }

        var direction = SignificantDirection(series, value, state.Baseline);
        var confirmed = direction != 0 && direction == state.PendingDirection;
        state.PendingDirection = surprising && !confirmed ? direction : 0;
        state.Baseline += options.BaselineWeight * (value - state.Baseline);
        return confirmed;
    }

    /// <summary>
    /// +1 (up) or −1 (down) for a change in the harmful direction (slower, more errors, fewer hits, more lag; rates
    /// either way) large enough to matter; 0 otherwise.
    /// </summary>
    private int SignificantDirection(string series, double value, double baseline)
    {
        var rise = value - baseline;
        var significant = series switch
        {
            _ when series.EndsWith("_ms", StringComparison.Ordinal) => rise >= Math.Max(options.LatencyRelative * Math.Abs(baseline), options.LatencyAbsoluteMs),
            _ when series.EndsWith(".rate", StringComparison.Ordinal) => Math.Abs(rise) >= Math.Max(options.RateRelative * Math.Abs(baseline), options.RateAbsolute),
            _ when series.EndsWith("hit_ratio", StringComparison.Ordinal) => -rise >= options.HitRatioAbsolute,
            _ when series.EndsWith("_ratio", StringComparison.Ordinal) => rise >= options.RatioAbsolute,
            _ when series.EndsWith("_bytes", StringComparison.Ordinal) => rise >= options.BytesAbsolute,
            _ => Math.Abs(rise) > 0,
        };
        return significant ? Math.Sign(rise) : 0;
    }

    private sealed class State
    {
        public double Baseline { get; set; }

        /// <summary>The direction of a surprising, significant change waiting for the next point to confirm it (0: none).</summary>
        public int PendingDirection { get; set; }
    }
}
