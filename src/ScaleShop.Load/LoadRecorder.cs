using System.Collections.Concurrent;
using HdrHistogram;

namespace ScaleShop.Load;

/// <summary>Latency percentiles of a set of requests, in milliseconds.</summary>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public static LatencySummary Of(HistogramBase histogram) =>
        histogram.TotalCount == 0
            ? new LatencySummary(0, 0, 0, 0, 0, 0)
            : new LatencySummary(histogram.TotalCount, Ms(histogram.GetValueAtPercentile(50)), Ms(histogram.GetValueAtPercentile(90)),
                Ms(histogram.GetValueAtPercentile(99)), Ms(histogram.GetValueAtPercentile(99.9)), Ms(histogram.GetMaxValue()));

    private static double Ms(long microseconds) => microseconds / 1000.0;
}

/// <summary>One second (or one reporting interval) of one journey's requests.</summary>
public sealed record IntervalSample(TimeSpan At, JourneyKind Journey, double TargetRate, long Requests, long Errors, LatencySummary Latency, int InFlight);

/// <summary>
/// Every request's latency, measured from when it was due to start (not from when the generator got round to
/// sending it: no coordinated omission), into one HdrHistogram per journey (1 µs to 1 h, 3 significant
/// digits) and per-interval histograms for the time series; errors counted by kind.
/// </summary>
public sealed class LoadRecorder
{
    private const long HighestMicroseconds = 3_600_000_000;
    private static readonly JourneyKind[] Journeys = Enum.GetValues<JourneyKind>();

    private readonly Recorder[] _intervals = Journeys.Select(_ => NewRecorder()).ToArray();
    private readonly HistogramBase[] _totals = Journeys.Select(_ => NewHistogram()).ToArray();
    private readonly IReadOnlyList<ScheduleWindow> _windows;
    private readonly HistogramBase[][] _windowTotals;
    private readonly long[][] _windowErrors;
    private readonly long[] _intervalErrors = new long[Journeys.Length];
    private readonly ConcurrentDictionary<(JourneyKind Journey, string Kind), long> _errors = new();
    private readonly ConcurrentDictionary<string, string> _firstErrors = new(StringComparer.Ordinal);
    private readonly List<IntervalSample> _samples = [];
    private readonly Lock _totalsLock = new();
    private readonly long[] _totalErrors = new long[Journeys.Length];
    private long _journeysStarted;
    private long _journeysDropped;
    private int _inFlight;

    public LoadRecorder(IReadOnlyList<ScheduleWindow> windows)
    {
        _windows = windows;
        _windowTotals = windows.Select(_ => Journeys.Select(_ => NewHistogram()).ToArray()).ToArray();
        _windowErrors = windows.Select(_ => new long[Journeys.Length]).ToArray();
    }

    public IReadOnlyList<IntervalSample> Samples
    {
        get
        {
            lock (_totalsLock)
            {
                return _samples.ToList();
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public long JourneysStarted => Interlocked.Read(ref _journeysStarted);

    public long JourneysDropped => Interlocked.Read(ref _journeysDropped);

    public void Record(JourneyKind journey, TimeSpan latency) =>
        _intervals[(int)journey].RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, HighestMicroseconds));

    /// <summary>A failed request: its latency counts too (a timeout is a slow answer), and its kind is counted.</summary>
    public void RecordError(JourneyKind journey, string kind, TimeSpan latency, string? detail = null)
    {
        Record(journey, latency);
        if (detail is not null)
        {
            _firstErrors.TryAdd(kind, detail);
        }

        Interlocked.Increment(ref _intervalErrors[(int)journey]);
        _errors.AddOrUpdate((journey, kind), 1, (_, count) => count + 1);
    }

    public void JourneyStarted()
    {
        Interlocked.Increment(ref _journeysStarted);
        Interlocked.Increment(ref _inFlight);
    }

    public void JourneyEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>An arrival the generator could not start (too many journeys in flight): counted as an error of its journey.</summary>
    public void JourneyDropped(JourneyKind journey)
    {
        Interlocked.Increment(ref _journeysDropped);
        Interlocked.Increment(ref _intervalErrors[(int)journey]);
        _errors.AddOrUpdate((journey, "dropped"), 1, (_, count) => count + 1);
    }

    /// <summary>Closes the current interval: its histograms go into the totals and into one sample per journey.</summary>
    public IReadOnlyList<IntervalSample> CloseInterval(TimeSpan at, double targetRate)
    {
        var closed = new List<IntervalSample>(Journeys.Length);
        lock (_totalsLock)
        {
            foreach (var journey in Journeys)
            {
                var interval = _intervals[(int)journey].GetIntervalHistogram();
                _totals[(int)journey].Add(interval);
                var errors = Interlocked.Exchange(ref _intervalErrors[(int)journey], 0);
                _totalErrors[(int)journey] += errors;
                // The interval belongs to the window it ends in (intervals are short against windows).
                var window = WindowAt(at);
                if (window >= 0)
                {
                    _windowTotals[window][(int)journey].Add(interval);
                    _windowErrors[window][(int)journey] += errors;
                }

                var sample = new IntervalSample(at, journey, targetRate, interval.TotalCount, errors, LatencySummary.Of(interval), InFlight);
                closed.Add(sample);
                _samples.Add(sample);
            }
        }

        return closed;
    }

    public LatencySummary Total(JourneyKind journey)
    {
        lock (_totalsLock)
        {
            return LatencySummary.Of(_totals[(int)journey]);
        }
    }

    public long TotalErrors(JourneyKind journey)
    {
        lock (_totalsLock)
        {
            return _totalErrors[(int)journey];
        }
    }

    /// <summary>Latency and errors of one journey within one window of the schedule.</summary>
    public (LatencySummary Latency, long Errors) Window(int window, JourneyKind journey)
    {
        lock (_totalsLock)
        {
            return (LatencySummary.Of(_windowTotals[window][(int)journey]), _windowErrors[window][(int)journey]);
        }
    }

    private int WindowAt(TimeSpan at)
    {
        for (var i = _windows.Count - 1; i >= 0; i--)
        {
            if (at > _windows[i].Start)
            {
                return i;
            }
        }

        return _windows.Count > 0 ? 0 : -1;
    }

    private static HistogramBase NewHistogram() => new LongHistogram(1, HighestMicroseconds, 3);

    /// <summary>The first error of each kind: request, status and the start of the answer, for the report.</summary>
    public IReadOnlyDictionary<string, string> FirstErrors => _firstErrors.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Errors by journey and kind (<c>http_503</c>, <c>timeout</c>, <c>connection</c>, <c>dropped</c>).</summary>
    public IReadOnlyDictionary<(JourneyKind Journey, string Kind), long> Errors => _errors.ToDictionary(p => p.Key, p => p.Value);

    private static Recorder NewRecorder() =>
        new(1, HighestMicroseconds, 3, (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));
}
