namespace ScaleShop.Slo.Tests;

/// <summary>
/// The burn-rate alerts on synthetic request streams, against what the Google SRE workbook ("Alerting on SLOs")
/// says they should do: a 14.4x alert over 1 h and 5 min detects a total outage in 0.1% x 14.4 x 1 h = 52 s,
/// resets within its 5-minute short window once the outage ends, and a stream spending its budget at exactly
/// the allowed pace pages nobody.
/// </summary>
public sealed class BurnRateTests
{
    private const string Journey = "checkout";
    private const int RequestsPerSecond = 10;
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly SloObjectives Objectives = SloObjectives.Parse("""
        {
          "journeys": { "checkout": { "availability": 0.999, "latency": { "thresholdMs": 300, "objective": 0.99 } } },
          "alerts": [
            { "name": "fast-burn", "severity": "page", "factor": 14.4, "longWindow": "1h", "shortWindow": "5m" },
            { "name": "slow-burn", "severity": "page", "factor": 6, "longWindow": "6h", "shortWindow": "30m" },
            { "name": "budget-drain", "severity": "ticket", "factor": 1, "longWindow": "3d", "shortWindow": "6h" }
          ]
        }
        """, "test");

    [Fact]
    public void A_total_outage_pages_within_the_time_the_workbook_gives_and_not_before()
    {
        var windows = NewWindows();
        var now = Play(windows, Start, TimeSpan.FromHours(1), failEvery: 0);
        Assert.Empty(SloEvaluator.Evaluate(Objectives, windows, now).Firing);

        var outage = now;
        TimeSpan? firedAfter = null;
        while (firedAfter is null && now - outage < TimeSpan.FromMinutes(5))
        {
            now = Play(windows, now, TimeSpan.FromSeconds(1), failEvery: 1);
            if (Alert(SloEvaluator.Evaluate(Objectives, windows, now), "fast-burn").Firing)
            {
                firedAfter = now - outage;
            }
        }

        // 51.8 s by the workbook's arithmetic; the window moves in 10 s buckets, so allow one bucket either side.
        Assert.NotNull(firedAfter);
        Assert.InRange(firedAfter.Value, TimeSpan.FromSeconds(42), TimeSpan.FromSeconds(62));
        var report = SloEvaluator.Evaluate(Objectives, windows, now);
        Assert.Contains(report.Firing, f => f is { Journey: Journey, Sli: SloObjectives.AvailabilitySli, Alert: "fast-burn", Severity: "page" });
        Assert.DoesNotContain(report.Firing, f => f.Sli == SloObjectives.LatencySli); // failing fast is not slow
    }

    [Fact]
    public void After_the_outage_ends_the_short_window_stops_the_page_while_the_long_one_still_remembers()
    {
        var windows = NewWindows();
        var now = Play(windows, Start, TimeSpan.FromHours(1), failEvery: 0);
        now = Play(windows, now, TimeSpan.FromMinutes(5), failEvery: 1);
        Assert.True(Alert(SloEvaluator.Evaluate(Objectives, windows, now), "fast-burn").Firing);

        now = Play(windows, now, TimeSpan.FromMinutes(4), failEvery: 0);
        Assert.True(Alert(SloEvaluator.Evaluate(Objectives, windows, now), "fast-burn").Firing);

        now = Play(windows, now, TimeSpan.FromSeconds(80), failEvery: 0);
        var fastBurn = Alert(SloEvaluator.Evaluate(Objectives, windows, now), "fast-burn");
        Assert.False(fastBurn.Firing);
        Assert.True(fastBurn.BurnRateLong > 14.4, $"the hour still holds the outage: {fastBurn.BurnRateLong}");
        Assert.True(fastBurn.BurnRateShort < 1, $"the last five minutes are clean: {fastBurn.BurnRateShort}");
    }

    [Fact]
    public void A_stream_spending_its_budget_at_exactly_the_allowed_pace_pages_nobody_for_six_hours()
    {
        var windows = NewWindows();
        var now = Start;
        for (var minute = 0; minute < 6 * 60; minute++)
        {
            now = Play(windows, now, TimeSpan.FromMinutes(1), failEvery: 1000, offset: minute * 60 * RequestsPerSecond);
            var report = SloEvaluator.Evaluate(Objectives, windows, now);
            Assert.DoesNotContain(report.Firing, f => f.Severity == "page");
        }

        var availability = SloEvaluator.Evaluate(Objectives, windows, now).Journeys.Single().Slis.Single(s => s.Sli == SloObjectives.AvailabilitySli);
        Assert.InRange(availability.BurnRates["6h"], 0.95, 1.05);
        Assert.InRange(availability.BudgetRemaining, -0.05, 0.05); // six hours seen, six hours' budget spent
    }

    [Fact]
    public void Slow_requests_burn_the_latency_budget_and_a_request_at_the_threshold_is_within_it()
    {
        var windows = NewWindows();
        var now = Start;
        for (var i = 0; i < 1000; i++)
        {
            now = Start.AddMilliseconds(i * 100);
            windows.Record(Journey, error: false, elapsedMs: i % 50 == 0 ? 301 : 300, now); // 2% over 300 ms, the rest exactly at it
        }

        var latency = SloEvaluator.Evaluate(Objectives, windows, now).Journeys.Single().Slis.Single(s => s.Sli == SloObjectives.LatencySli);
        Assert.Equal((1000, 20), (latency.Requests, latency.Bad));
        Assert.Equal(2.0, latency.BurnRates["5m"], 6);
        Assert.Equal(-1.0, latency.BudgetRemaining, 6); // 2% slow against 1% allowed: twice the budget spent
        Assert.Equal(300, latency.ThresholdMs);
    }

    [Fact]
    public void The_budget_is_judged_over_what_this_instance_has_seen_and_nothing_is_burnt_without_traffic()
    {
        var windows = NewWindows();
        var quiet = SloEvaluator.Evaluate(Objectives, windows, Start.AddMinutes(30));
        Assert.Empty(quiet.Firing);
        Assert.All(quiet.Journeys.Single().Slis, sli => Assert.Equal(1.0, sli.BudgetRemaining));

        var now = Play(windows, Start, TimeSpan.FromMinutes(10), failEvery: 2000); // half the allowed rate
        var report = SloEvaluator.Evaluate(Objectives, windows, now);
        Assert.Equal(600, report.BudgetWindowSeconds, 0);
        Assert.Equal("30d", report.BudgetPeriod);
        Assert.Equal(0.5, report.Journeys.Single().Slis.Single(s => s.Sli == SloObjectives.AvailabilitySli).BudgetRemaining, 2);
    }

    [Fact]
    public void The_series_reports_rate_errors_and_quantiles_per_bucket()
    {
        var windows = NewWindows();
        var at = Start.AddSeconds(1);
        for (var i = 0; i < 100; i++)
        {
            windows.Record(Journey, error: i == 0, elapsedMs: i < 50 ? 3 : i < 99 ? 40 : 900, at);
        }

        var point = windows.Series(Journey, TimeSpan.FromMinutes(1), at).Last();
        Assert.Equal((100, 1), (point.Requests, point.Errors));
        Assert.Equal(10, point.RequestsPerSecond, 6);
        Assert.Equal(0.01, point.ErrorRatio, 6);
        Assert.InRange(point.P50Ms!.Value, 2.5, 5);
        Assert.InRange(point.P99Ms!.Value, 25, 50);
        Assert.Null(windows.Series(Journey, TimeSpan.FromMinutes(1), at.AddSeconds(30)).Last().P50Ms); // a bucket without requests
        Assert.False(windows.Record("sign-in", error: false, elapsedMs: 1, at)); // no objectives, not tracked
    }

    [Fact]
    public void A_quiet_journey_does_not_page_on_a_handful_of_failures_but_does_once_there_are_enough()
    {
        var objectives = Objectives with { MinimumRequests = 10 };
        var windows = NewWindows();
        var at = Start.AddMinutes(1);
        for (var i = 0; i < 9; i++)
        {
            windows.Record(Journey, error: true, elapsedMs: 20, at.AddSeconds(i));
        }

        Assert.Empty(SloEvaluator.Evaluate(objectives, windows, at.AddSeconds(10)).Firing);
        windows.Record(Journey, error: true, elapsedMs: 20, at.AddSeconds(10));
        Assert.Contains(SloEvaluator.Evaluate(objectives, windows, at.AddSeconds(11)).Firing, f => f.Alert == "fast-burn");
    }

    private static JourneyWindows NewWindows() => new(Objectives, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), Start);

    private static AlertState Alert(SloReport report, string name) =>
        report.Journeys.Single().Slis.Single(s => s.Sli == SloObjectives.AvailabilitySli).Alerts.Single(a => a.Name == name);

    /// <summary>Plays <see cref="RequestsPerSecond"/> evenly spaced requests, every <paramref name="failEvery"/>th failing (0: none); returns the end.</summary>
    private static DateTimeOffset Play(JourneyWindows windows, DateTimeOffset from, TimeSpan length, int failEvery, int offset = 0)
    {
        var requests = (int)(length.TotalSeconds * RequestsPerSecond);
        var spacing = TimeSpan.FromSeconds(1.0 / RequestsPerSecond);
        for (var i = 0; i < requests; i++)
        {
            windows.Record(Journey, error: failEvery > 0 && (offset + i + 1) % failEvery == 0, elapsedMs: 20, from + (spacing * i));
        }

        return from + length;
    }
}
