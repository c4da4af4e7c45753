namespace ScaleShop.Load;

public sealed record JourneyFigures(JourneyKind Journey, LatencySummary Latency, long Errors)
{
    /// <summary>Failed requests (and dropped arrivals) over everything attempted.</summary>
    public double ErrorRate => Latency.Count + DroppedOnly == 0 ? 0 : (double)Errors / (Latency.Count + DroppedOnly);

    /// <summary>Dropped arrivals are errors without a request (no latency was recorded for them).</summary>
    public long DroppedOnly { get; init; }
}

public sealed record WindowFigures(ScheduleWindow Window, IReadOnlyList<JourneyFigures> Journeys)
{
    public double RequestsPerSecond => Journeys.Sum(j => j.Latency.Count) / Math.Max(0.001, (Window.End - Window.Start).TotalSeconds);
}

/// <summary>What a run measured: totals and windows per journey, errors by kind, the time series, the generator's own cost.</summary>
public sealed record LoadRun(
    string Scenario, string ScheduleDescription, string Mix, DateTimeOffset StartedAt, TimeSpan Elapsed,
    long JourneysStarted, long JourneysDropped, IReadOnlyList<JourneyFigures> Totals, IReadOnlyList<WindowFigures> Windows,
    IReadOnlyDictionary<string, long> ErrorsByKind, IReadOnlyDictionary<string, string> FirstErrors, IReadOnlyList<IntervalSample> Samples,
    TimeSpan GeneratorCpu, double GeneratorStartLagP99Ms, string BaseUrl)
{
    public long Requests => Totals.Sum(t => t.Latency.Count);

    public double RequestsPerSecond => Requests / Math.Max(0.001, Elapsed.TotalSeconds);

    /// <summary>The generator's CPU time per request it made, in microseconds (compare with wrk's on the same endpoint).</summary>
    public double GeneratorMicrosecondsPerRequest => Requests == 0 ? 0 : GeneratorCpu.TotalMicroseconds / Requests;

    public static LoadRun From(LoadProfile profile, LoadRecorder recorder, DateTimeOffset startedAt, TimeSpan elapsed, TimeSpan cpu, HdrHistogram.HistogramBase startLag)
    {
        var journeys = Enum.GetValues<JourneyKind>();
        var errors = recorder.Errors;
        long Dropped(JourneyKind journey) => errors.GetValueOrDefault((journey, "dropped"));
        var totals = journeys.Select(j => new JourneyFigures(j, recorder.Total(j), recorder.TotalErrors(j)) { DroppedOnly = Dropped(j) }).ToList();
        var windows = profile.Schedule.Windows.Select((window, index) => new WindowFigures(window,
            journeys.Select(j =>
            {
                var (latency, windowErrors) = recorder.Window(index, j);
                return new JourneyFigures(j, latency, windowErrors);
            }).ToList())).ToList();
        var byKind = errors.GroupBy(e => e.Key.Kind).ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal);
        return new LoadRun(profile.Schedule.Name, profile.Schedule.Describe(), profile.Mix.ToString(), startedAt, elapsed,
            recorder.JourneysStarted, recorder.JourneysDropped, totals, windows, byKind, recorder.FirstErrors, recorder.Samples, cpu,
            startLag.TotalCount == 0 ? 0 : startLag.GetValueAtPercentile(99) / 1000.0, profile.BaseUrl.ToString());
    }
}
