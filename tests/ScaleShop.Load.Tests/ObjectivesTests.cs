namespace ScaleShop.Load.Tests;

public sealed class ObjectivesTests
{
    private static readonly Objectives Goals = new(new Dictionary<JourneyKind, JourneyObjective>
    {
        [JourneyKind.Browse] = new(P99Ms: 100, MaxErrorRate: 0.01),
        [JourneyKind.Checkout] = new(P99Ms: 300, MaxErrorRate: 0.01),
    });

    [Fact]
    public void The_knee_is_the_highest_ramp_step_before_the_first_that_misses_an_objective()
    {
        var ramp = new RampSchedule(100, 400, 4, TimeSpan.FromSeconds(10));
        var recorder = new LoadRecorder(ramp.Windows);
        // Steps 1 and 2 fast; step 3 slow browse; step 4 fast again (a knee is not found past a failed step).
        double[] browseMs = [20, 40, 250, 30];
        for (var step = 0; step < 4; step++)
        {
            for (var i = 0; i < 200; i++)
            {
                recorder.Record(JourneyKind.Browse, TimeSpan.FromMilliseconds(browseMs[step]));
                recorder.Record(JourneyKind.Checkout, TimeSpan.FromMilliseconds(80));
            }

            recorder.CloseInterval(TimeSpan.FromSeconds((step * 10) + 9), ramp.StepRate(step));
        }

        var run = LoadRun.From(new LoadProfile { BaseUrl = new Uri("http://127.0.0.1"), Schedule = ramp }, recorder, DateTimeOffset.UtcNow,
            TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(1), new HdrHistogram.LongHistogram(1, 1000, 2));
        var verdict = Goals.Judge(run);

        Assert.False(verdict.Met);
        Assert.Equal(200, verdict.KneeRate);
        Assert.Equal([true, true, false, true], verdict.Windows.Select(w => w.Met));
        Assert.Equal(800, run.Totals.Single(t => t.Journey == JourneyKind.Browse).Latency.Count);
    }

    [Fact]
    public void Errors_over_the_allowed_rate_fail_a_window_however_fast_it_was()
    {
        var steady = new SteadySchedule(10, TimeSpan.FromSeconds(5));
        var recorder = new LoadRecorder(steady.Windows);
        for (var i = 0; i < 98; i++)
        {
            recorder.Record(JourneyKind.Checkout, TimeSpan.FromMilliseconds(10));
        }

        recorder.RecordError(JourneyKind.Checkout, "http_503", TimeSpan.FromMilliseconds(5));
        recorder.RecordError(JourneyKind.Checkout, "timeout", TimeSpan.FromMilliseconds(5));
        recorder.CloseInterval(TimeSpan.FromSeconds(4), 10);
        var run = LoadRun.From(new LoadProfile { BaseUrl = new Uri("http://127.0.0.1"), Schedule = steady }, recorder, DateTimeOffset.UtcNow,
            TimeSpan.FromSeconds(5), TimeSpan.Zero, new HdrHistogram.LongHistogram(1, 1000, 2));

        var verdict = Goals.Judge(run);

        Assert.False(verdict.Met);
        Assert.Equal(0.02, verdict.Windows.Single().Journeys.Single().ErrorRate, 6);
        Assert.Equal(1, run.ErrorsByKind["http_503"]);
        Assert.Equal(1, run.ErrorsByKind["timeout"]);
    }

    [Fact]
    public void The_objectives_file_of_the_repository_loads_and_a_bad_one_is_refused()
    {
        var file = Path.Combine(RepositoryRoot(), "load", "objectives.json");
        var goals = Objectives.Load(file);
        Assert.Equal(100, goals.Journeys[JourneyKind.Browse].P99Ms);
        Assert.Equal(300, goals.Journeys[JourneyKind.Checkout].P99Ms);

        Assert.Equal(0.001, goals.Journeys[JourneyKind.Browse].MaxErrorRate, 9);
        Assert.Equal(0.0005, goals.Journeys[JourneyKind.Checkout].MaxErrorRate, 9);

        var bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(bad, """{ "journeys": { "browse": { "availability": 0.999, "latency": { "thresholdMs": 100, "objective": 0.95 } } } }""");
            Assert.Contains("journeys.browse.latency.objective", Assert.Throws<InvalidDataException>(() => Objectives.Load(bad)).Message, StringComparison.Ordinal);
            File.WriteAllText(bad, """{ "journeys": { "browse": { "availability": 1, "latency": { "thresholdMs": 100, "objective": 0.99 } } } }""");
            Assert.Contains("journeys.browse.availability", Assert.Throws<InvalidDataException>(() => Objectives.Load(bad)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ScaleShop.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Not inside the repository.");
    }
}
