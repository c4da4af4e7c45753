namespace ScaleShop.Slo;

/// <summary>Requests in a window: all of them, the failed ones, and the ones slower than the journey's threshold.</summary>
public readonly record struct SliCounts(long Requests, long Errors, long Slow);

/// <summary>One bucket of a journey's recent traffic, for charts.</summary>
public sealed record SeriesPoint(DateTimeOffset At, long Requests, long Errors, double RequestsPerSecond, double ErrorRatio, double? P50Ms, double? P99Ms);

/// <summary>
/// Each journey's requests in fixed time buckets over rolling windows: counts (total, failed, slower than the
/// objective's threshold) for as long as the longest alert window looks back, and latency histograms for the
/// shorter span the dashboard charts. Memory is fixed at start (a ring of buckets per journey); recording is a
/// short lock per journey, so journeys do not contend with each other.
/// </summary>
public sealed class JourneyWindows
{
    /// <summary>Latency bucket boundaries (ms) for quantiles; each journey's threshold is added, so "slow" is exact.</summary>
    public static readonly IReadOnlyList<double> DefaultLatencyBoundariesMs = [1, 2.5, 5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 500, 750, 1_000, 2_500, 5_000, 10_000];

    private readonly Dictionary<string, JourneyRing> _rings;
    private readonly long _bucketMs;

    public JourneyWindows(SloObjectives objectives, TimeSpan bucketWidth, TimeSpan seriesSpan, DateTimeOffset start)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketWidth, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(seriesSpan, bucketWidth);
        BucketWidth = bucketWidth;
        Start = start;
        _bucketMs = (long)bucketWidth.TotalMilliseconds;
        LatencyBoundariesMs = BoundariesFor(objectives);
        // Two buckets more than the window: a window's ends fall inside buckets.
        var countSlots = (int)Math.Ceiling(objectives.LongestWindow / bucketWidth) + 2;
        var seriesSlots = (int)Math.Ceiling(seriesSpan / bucketWidth) + 1;
        _rings = objectives.Journeys.ToDictionary(j => j.Journey, j => new JourneyRing(j.Latency.ThresholdMs, countSlots, seriesSlots, LatencyBoundariesMs), StringComparer.Ordinal);
    }

    public TimeSpan BucketWidth { get; }

    public DateTimeOffset Start { get; }

    public IReadOnlyList<double> LatencyBoundariesMs { get; }

    public IEnumerable<string> Journeys => _rings.Keys;

    /// <summary>The histogram boundaries the journey metric uses: the defaults plus every journey's threshold.</summary>
    public static IReadOnlyList<double> BoundariesFor(SloObjectives objectives) =>
        DefaultLatencyBoundariesMs.Concat(objectives.Journeys.Select(j => j.Latency.ThresholdMs)).Distinct().Order().ToList();

    /// <summary>Counts one request; false for a journey without objectives (not tracked).</summary>
    public bool Record(string journey, bool error, double elapsedMs, DateTimeOffset at)
    {
        if (!_rings.TryGetValue(journey, out var ring))
        {
            return false;
        }

        ring.Record(BucketOf(at), error, elapsedMs);
        return true;
    }

    /// <summary>
    /// The journey's requests in the buckets that overlap the last <paramref name="window"/> up to
    /// <paramref name="now"/>: the window, give or take one bucket at its far end.
    /// </summary>
    public SliCounts Sum(string journey, TimeSpan window, DateTimeOffset now) => _rings[journey].Sum(BucketOf(now - window), BucketOf(now));

    /// <summary>Per-bucket figures of the journey over the last <paramref name="span"/> (at most the series span kept).</summary>
    public IReadOnlyList<SeriesPoint> Series(string journey, TimeSpan span, DateTimeOffset now)
    {
        var ring = _rings[journey];
        var last = BucketOf(now);
        var buckets = Math.Min(ring.SeriesSlots - 1, Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds / _bucketMs)));
        var points = new List<SeriesPoint>((int)buckets);
        for (var bucket = last - buckets + 1; bucket <= last; bucket++)
        {
            var (requests, errors, histogram) = ring.Bucket(bucket);
            var seconds = BucketWidth.TotalSeconds;
            points.Add(new SeriesPoint(DateTimeOffset.FromUnixTimeMilliseconds(bucket * _bucketMs), requests, errors, requests / seconds,
                requests == 0 ? 0 : (double)errors / requests, Quantile(histogram, requests, 0.5), Quantile(histogram, requests, 0.99)));
        }

        return points;
    }

    /// <summary>
    /// A quantile from bucket counts, interpolated linearly inside the bucket it falls in (as Prometheus'
    /// histogram_quantile does); past the last boundary it is that boundary.
    /// </summary>
    private double? Quantile(long[] histogram, long requests, double quantile)
    {
        if (requests == 0)
        {
            return null;
        }

        var rank = quantile * requests;
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            if (seen + histogram[i] >= rank && histogram[i] > 0)
            {
                if (i == LatencyBoundariesMs.Count)
                {
                    return LatencyBoundariesMs[^1];
                }

                var lower = i == 0 ? 0 : LatencyBoundariesMs[i - 1];
                return lower + ((LatencyBoundariesMs[i] - lower) * (rank - seen) / histogram[i]);
            }

            seen += histogram[i];
        }

        return LatencyBoundariesMs[^1];
    }

    private long BucketOf(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / _bucketMs;

    private sealed class JourneyRing(double thresholdMs, int countSlots, int seriesSlots, IReadOnlyList<double> boundariesMs)
    {
        private readonly Lock _lock = new();
        private readonly long[] _countBucket = Filled(countSlots);
        private readonly long[] _requests = new long[countSlots];
        private readonly long[] _errors = new long[countSlots];
        private readonly long[] _slow = new long[countSlots];
        private readonly long[] _seriesBucket = Filled(seriesSlots);
        private readonly long[][] _histograms = Enumerable.Range(0, seriesSlots).Select(_ => new long[boundariesMs.Count + 1]).ToArray();

        public int SeriesSlots => seriesSlots;

        public void Record(long bucket, bool error, double elapsedMs)
        {
            var latencyBucket = LatencyBucket(elapsedMs);
            lock (_lock)
            {
                var slot = (int)(bucket % countSlots);
                if (_countBucket[slot] != bucket)
                {
                    if (_countBucket[slot] > bucket)
                    {
                        return; // older than anything still kept
                    }

                    (_countBucket[slot], _requests[slot], _errors[slot], _slow[slot]) = (bucket, 0, 0, 0);
                }

                _requests[slot]++;
                _errors[slot] += error ? 1 : 0;
                _slow[slot] += elapsedMs > thresholdMs ? 1 : 0;

                var seriesSlot = (int)(bucket % seriesSlots);
                if (_seriesBucket[seriesSlot] != bucket)
                {
                    if (_seriesBucket[seriesSlot] > bucket)
                    {
                        return;
                    }

                    _seriesBucket[seriesSlot] = bucket;
                    Array.Clear(_histograms[seriesSlot]);
                }

                _histograms[seriesSlot][latencyBucket]++;
            }
        }

        public SliCounts Sum(long first, long last)
        {
            long requests = 0, errors = 0, slow = 0;
            // Only the window's own slots: a 5-minute sum reads 30 slots, not the 3 days kept.
            first = Math.Max(first, last - countSlots + 1);
            lock (_lock)
            {
                for (var bucket = first; bucket <= last; bucket++)
                {
                    var slot = (int)(bucket % countSlots);
                    if (_countBucket[slot] == bucket)
                    {
                        requests += _requests[slot];
                        errors += _errors[slot];
                        slow += _slow[slot];
                    }
                }
            }

            return new SliCounts(requests, errors, slow);
        }

        public (long Requests, long Errors, long[] Histogram) Bucket(long bucket)
        {
            lock (_lock)
            {
                var slot = (int)(bucket % countSlots);
                var seriesSlot = (int)(bucket % seriesSlots);
                var counted = _countBucket[slot] == bucket;
                var histogram = _seriesBucket[seriesSlot] == bucket ? (long[])_histograms[seriesSlot].Clone() : new long[boundariesMs.Count + 1];
                return counted ? (_requests[slot], _errors[slot], histogram) : (0, 0, histogram);
            }
        }

        private int LatencyBucket(double elapsedMs)
        {
            for (var i = 0; i < boundariesMs.Count; i++)
            {
                if (elapsedMs <= boundariesMs[i])
                {
                    return i;
                }
            }

            return boundariesMs.Count;
        }

        private static long[] Filled(int slots)
        {
            var buckets = new long[slots];
            Array.Fill(buckets, long.MinValue);
            return buckets;
        }
    }
}
