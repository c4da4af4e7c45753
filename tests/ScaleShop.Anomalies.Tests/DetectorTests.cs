using ScaleShop.Anomalies.Detection;

namespace ScaleShop.Anomalies.Tests;

/// <summary>
/// The default detector on synthetic five-minute streams: it alerts at a spike and at a level shift, once, and stays
/// quiet on a noisy flat series, on a daily sine and on a slow drift. A slow drift is the baseline's to follow, not an
/// alert: a mean that walks three spreads over a week is capacity planning's business (docs/anomaly-detection.md),
/// while a pager needs change the recent history cannot explain.
/// </summary>
public sealed class DetectorTests
{
    private const int Length = 3000;
    private const int Anomaly = 2000;
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // The first alert may take the likelihood's short window to arrive; the calibration learns over its first points.
    private const int Latency = 10;
    private const int Learning = 400;

    [Fact]
    public void A_spike_on_a_daily_sine_alerts_once_at_the_spike()
    {
        var alerts = Alerts(Stream(i => DailySine(i) + (i == Anomaly ? 60 : 0)));

        Assert.InRange(Assert.Single(alerts), Anomaly, Anomaly + Latency);
    }

    [Fact]
    public void A_level_shift_alerts_once_soon_after_it()
    {
        var alerts = Alerts(Stream(i => (i >= Anomaly ? 20 : 10) + Noise(i)));

        Assert.InRange(Assert.Single(alerts), Anomaly, Anomaly + Latency);
    }

    [Fact]
    public void A_noisy_flat_series_never_alerts() => Assert.Empty(Alerts(Stream(i => 10 + Noise(i))));

    [Fact]
    public void A_daily_sine_without_anomalies_never_alerts() => Assert.Empty(Alerts(Stream(DailySine)));

    [Fact]
    public void A_slow_drift_is_followed_not_alerted() =>
        Assert.Empty(Alerts(Stream(i => 10 + (3.0 * i / Length) + Noise(i))));

    [Fact]
    public void Appending_future_points_never_changes_a_past_score()
    {
        var past = Stream(i => DailySine(i) + Noise(i)).Take(Anomaly).ToArray();
        var calm = Score(past.Concat(Stream(i => DailySine(i) + Noise(i)).Skip(Anomaly)));
        var wild = Score(past.Concat(Stream(i => 1e6 * Noise(i)).Skip(Anomaly)));
        var alone = Score(past);

        Assert.Equal(alone, calm[..Anomaly]);
        Assert.Equal(alone, wild[..Anomaly]);
        Assert.NotEqual(calm[Anomaly..], wild[Anomaly..]);
    }

    [Theory]
    [InlineData(DetectorStages.Baseline | DetectorStages.Likelihood | DetectorStages.Suppression)]
    [InlineData(DetectorStages.Baseline | DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression)]
    [InlineData(DetectorStages.SpectralResidual | DetectorStages.Baseline | DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression)]
    public void Its_buffers_are_as_large_after_a_hundred_thousand_points_as_after_a_hundred(DetectorStages stages)
    {
        var detector = new AnomalyDetector(DetectorOptions.Default with { Stages = stages });
        var initial = detector.BufferLength;
        Feed(detector, 100);
        var early = detector.BufferLength;
        Feed(detector, 100_000);

        Assert.Equal(initial, early);
        Assert.Equal(early, detector.BufferLength);
        // The context table (2 × 1,024 ints) is the largest buffer; the rest is under 200.
        Assert.InRange(detector.BufferLength, 1, 200 + (2 * DetectorOptions.Default.Context.Capacity));
    }

    [Fact]
    public void The_context_table_never_holds_more_than_its_capacity_on_a_stream_of_new_patterns()
    {
        // Pure noise over a wide range visits the middle five or six of the 8 bins (the learned range is padded by 30%
        // on each side): about a thousand order-1..3 and set contexts turn up, far beyond a table of 256.
        const int capacity = 256;
        var options = DetectorOptions.Default with { Stages = DetectorStages.Context, Context = DetectorOptions.Default.Context with { Capacity = capacity } };
        var detector = new AnomalyDetector(options);
        var initial = detector.BufferLength;
        var defaults = new AnomalyDetector(DetectorOptions.Default with { Stages = DetectorStages.Context });

        for (var i = 0; i < 200_000; i++)
        {
            detector.Update(Start.AddMinutes(5 * i), 1000 * Hash(i));
            defaults.Update(Start.AddMinutes(5 * i), 1000 * Hash(i));
        }

        Assert.Equal(capacity, detector.ContextCount);
        Assert.Equal(initial, detector.BufferLength);
        Assert.InRange(defaults.ContextCount, 1, DetectorOptions.Default.Context.Capacity);
    }

    [Fact]
    public void The_context_detector_scores_a_repeated_pattern_zero_and_a_new_one_high()
    {
        var detector = new AnomalyDetector(DetectorOptions.Default with { Stages = DetectorStages.Context });
        double[] cycle = [0, 10, 20, 30, 20, 10];
        var raw = new List<double>();
        for (var i = 0; i < 600; i++)
        {
            raw.Add(detector.Update(Start.AddMinutes(5 * i), i == 500 ? 25 : cycle[i % cycle.Length]).Raw);
        }

        Assert.All(raw[100..500], score => Assert.Equal(0, score));
        Assert.True(raw[500] >= 0.5, $"raw score at the new pattern: {raw[500]}");
    }

    [Fact]
    public void The_context_detector_is_causal() =>
        AssertCausal(DetectorOptions.Default with { Stages = DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression });

    [Fact]
    public void A_spike_at_the_same_time_every_day_no_stronger_than_the_first_alerts_only_the_first_day()
    {
        // Noon every day (point 144 of 288): six spreads on the first day after learning, four on the next days. The
        // later ones score below 0.9 of the first day's peak at that time of day, so they recur; without the daily
        // memory each of them alerts again. (The periodic memory would also learn a 288-point rhythm; it is off here so
        // that the daily memory is what is measured.)
        var stream = Stream(i => 10 + Noise(i) + (i % 288 != 144 ? 0 : i < 288 * 2 ? 6 : 4)).ToArray();
        static bool AtNoon(int i) => i % 288 is >= 144 and <= 144 + Latency;
        var options = DetectorOptions.Default with { PeriodicEvents = 0 };
        var daily = Alerts(stream, options).Where(AtNoon).ToList();
        var withoutMemory = Alerts(stream, options with { DailySlots = 0 }).Where(AtNoon).ToList();

        Assert.InRange(Assert.Single(daily), 144 + 288, 144 + 288 + Latency);
        Assert.True(withoutMemory.Count > 1, $"alerts without the daily memory: {withoutMemory.Count}");
    }

    [Fact]
    public void A_spike_every_hundred_points_stops_alerting_once_it_is_a_rhythm_and_one_off_the_rhythm_still_alerts()
    {
        // A job every 100 points (not a divisor of a day, so the daily memory cannot know it) and one spike of the same
        // height 25 points off the rhythm. The periodic memory learns the rhythm from its first three events; without it
        // the rhythm keeps alerting.
        const int offRhythm = Anomaly + 25;
        var stream = Stream(i => 10 + Noise(i) + (i % 100 == 0 || i == offRhythm ? 8 : 0)).ToArray();
        var periodic = Alerts(stream);
        var withoutMemory = Alerts(stream, DetectorOptions.Default with { PeriodicEvents = 0 });

        Assert.InRange(Assert.Single(periodic), offRhythm, offRhythm + Latency);
        Assert.True(withoutMemory.Count(i => i % 100 <= Latency) > 1, $"rhythm alerts without the periodic memory: {string.Join(", ", withoutMemory)}");
    }

    [Fact]
    public void A_rhythm_event_far_beyond_every_height_before_still_alerts()
    {
        // The same job every 100 points; once, on the rhythm, it goes three times as high. A new extreme that far beyond
        // the range is no variation of the rhythm's height, so it escapes the periodic memory (NewExtremeRhythmMargin).
        var stream = Stream(i => 10 + Noise(i) + (i % 100 != 0 ? 0 : i == Anomaly ? 24 : 8)).ToArray();
        var escaping = Alerts(stream);
        var held = Alerts(stream, DetectorOptions.Default with { NewExtremeRhythmMargin = double.PositiveInfinity });

        Assert.InRange(Assert.Single(escaping), Anomaly, Anomaly + Latency);
        Assert.Empty(held);
    }

    [Fact]
    public void The_records_a_level_shift_keeps_setting_are_one_episode()
    {
        // After a shift the noise on the new level sets new maxima for a while; the series has not calmed since the alert,
        // so none of them escapes. Counting every likelihood as calm (a level above 1) lets them alert again.
        var stream = Stream(i => (i >= Anomaly ? 20 : 10) + Noise(i)).ToArray();
        var episode = Alerts(stream);
        var uncalmed = Alerts(stream, DetectorOptions.Default with { NewExtremeCalmLevel = 2 });

        Assert.InRange(Assert.Single(episode), Anomaly, Anomaly + Latency);
        Assert.True(uncalmed.Count > 1, $"alerts when every point counts as calm: {string.Join(", ", uncalmed)}");
    }

    [Fact]
    public void A_deeper_dip_after_the_series_calmed_alerts_inside_the_hold_off_of_the_first()
    {
        // Two dips 40 points apart, the second deeper than anything before: it is a new extreme after the series came back,
        // so it escapes the first alert's hold-off (SuppressPoints) and alerts; without the escape it is held back.
        const int second = Anomaly + 40;
        var stream = Stream(i => 10 + Noise(i) - (i == Anomaly ? 10 : i == second ? 16 : 0)).ToArray();
        var escaping = Alerts(stream);
        var held = Alerts(stream, DetectorOptions.Default with { NewExtremesEscape = false });

        Assert.Equal(2, escaping.Count);
        Assert.InRange(escaping[0], Anomaly, Anomaly + Latency);
        Assert.InRange(escaping[1], second, second + Latency);
        Assert.InRange(Assert.Single(held), Anomaly, Anomaly + Latency);
    }

    [Fact]
    public void The_periodic_memory_is_its_events_whatever_the_stream_and_is_causal()
    {
        var without = new AnomalyDetector(DetectorOptions.Default with { PeriodicEvents = 0 }).BufferLength;
        var detector = new AnomalyDetector(DetectorOptions.Default);
        Assert.Equal(without + DetectorOptions.Default.PeriodicEvents, detector.BufferLength);
        Feed(detector, 100_000);
        Assert.Equal(without + DetectorOptions.Default.PeriodicEvents, detector.BufferLength);

        var past = Stream(i => 10 + Noise(i) + (i % 100 == 0 ? 8 : 0)).Take(Anomaly).ToArray();
        var calm = Score(past.Concat(Stream(i => 10 + Noise(i) + (i % 100 == 0 ? 8 : 0)).Skip(Anomaly)), DetectorOptions.Default);
        var wild = Score(past.Concat(Stream(i => 1e6 * Noise(i)).Skip(Anomaly)), DetectorOptions.Default);
        Assert.Equal(Score(past, DetectorOptions.Default), calm[..Anomaly]);
        Assert.Equal(calm[..Anomaly], wild[..Anomaly]);
    }

    [Fact]
    public void The_daily_memory_is_its_slots_whatever_the_stream_and_is_causal()
    {
        var options = DetectorOptions.Default with { DailySlots = 48 };
        var without = new AnomalyDetector(options with { DailySlots = 0 }).BufferLength;
        var detector = new AnomalyDetector(options);
        Assert.Equal(without + 48, detector.BufferLength);
        Feed(detector, 100_000);
        Assert.Equal(without + 48, detector.BufferLength);

        var past = Stream(i => DailySine(i) + (i % 288 == 100 ? 30 : 0)).Take(Anomaly).ToArray();
        var calm = Score(past.Concat(Stream(DailySine).Skip(Anomaly)), options);
        var wild = Score(past.Concat(Stream(i => 1e6 * Noise(i)).Skip(Anomaly)), options);
        Assert.Equal(Score(past, options), calm[..Anomaly]);
        Assert.Equal(calm[..Anomaly], wild[..Anomaly]);
    }

    [Fact]
    public void The_registry_keeps_one_detector_per_series_and_they_do_not_mix()
    {
        var registry = new AnomalyRegistry();
        var spiky = Stream(i => 10 + Noise(i) + (i == Anomaly ? 50 : 0)).ToArray();
        var calm = Stream(i => 10 + Noise(i)).ToArray();
        var alerts = new List<(string Series, int At)>();
        for (var i = 0; i < Length; i++)
        {
            if (registry.Update("checkout.p99", spiky[i].At, spiky[i].Value).Alert)
            {
                alerts.Add(("checkout.p99", i));
            }

            if (registry.Update("catalog.rate", calm[i].At, calm[i].Value).Alert)
            {
                alerts.Add(("catalog.rate", i));
            }
        }

        Assert.Equal(2, registry.Count);
        var alert = Assert.Single(alerts);
        Assert.Equal("checkout.p99", alert.Series);
        Assert.InRange(alert.At, Anomaly, Anomaly + Latency);
    }

    private static double DailySine(int i) => 50 + (20 * Math.Sin(2 * Math.PI * i / 288)) + Noise(i);

    // Deterministic noise of unit spread: the same stream on every run, so a failure reproduces.
    private static double Noise(int i) => (Hash(i) + Hash(i + 7919) + Hash(i + 15_485_863) - 1.5) * 2;

    private static double Hash(int i)
    {
        var x = (uint)i * 2_654_435_761u;
        x ^= x >> 15;
        x *= 2_246_822_519u;
        x ^= x >> 13;
        return x / (double)uint.MaxValue;
    }

    [Fact]
    public void Two_point_confirmation_and_the_adaptive_bar_are_causal() =>
        AssertCausal(DetectorOptions.Default with { Confirm = true, ConfirmBypass = 0.7, AdaptiveQuantile = 0.99 });

    [Fact]
    public void Confirmation_lets_a_level_through_only_when_two_points_in_a_row_reach_it()
    {
        var stream = Stream(i => (i == Anomaly ? 20 : 10) + Noise(i)).ToArray();
        var plain = Score(stream, DetectorOptions.Default with { AdaptiveQuantile = 0 });
        var confirmed = Score(stream, DetectorOptions.Default with { AdaptiveQuantile = 0, Confirm = true });

        // A one-point spike: the point itself is strong, the confirmed score is the weaker of it and its predecessor.
        Assert.True(plain[Anomaly].Likelihood >= 0.5, $"unconfirmed likelihood at the spike: {plain[Anomaly].Likelihood}");
        Assert.Equal(Math.Min(plain[Anomaly - 1].Likelihood, plain[Anomaly].Likelihood), confirmed[Anomaly].Likelihood, 12);
        Assert.False(confirmed[Anomaly].Alert);

        // Every confirmed likelihood is the lower of two consecutive unconfirmed ones (the stages before it are shared).
        for (var i = 1; i < stream.Length; i++)
        {
            Assert.Equal(Math.Min(plain[i - 1].Likelihood, plain[i].Likelihood), confirmed[i].Likelihood, 12);
        }
    }

    [Fact]
    public void The_noisy_or_is_never_below_the_stronger_likelihood()
    {
        var stream = Stream(i => DailySine(i) + Noise(i) + (i == Anomaly ? 60 : 0)).ToArray();
        var noisyOr = Score(stream, DetectorOptions.Default with { AdaptiveQuantile = 0 });
        var max = Score(stream, DetectorOptions.Default with { AdaptiveQuantile = 0, Combination = LikelihoodCombination.Max });

        for (var i = 0; i < stream.Length; i++)
        {
            Assert.InRange(noisyOr[i].Likelihood, max[i].Likelihood, 1.0);
        }
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.99)]
    public void Confirmation_and_the_adaptive_bar_add_no_buffers(bool confirm, double quantile)
    {
        var plain = new AnomalyDetector(DetectorOptions.Default with { AdaptiveQuantile = 0 }).BufferLength;
        var detector = new AnomalyDetector(DetectorOptions.Default with { Confirm = confirm, AdaptiveQuantile = quantile });
        Assert.Equal(plain, detector.BufferLength);
        Feed(detector, 20_000);
        Assert.Equal(plain, detector.BufferLength);
    }

    // Past scores must not depend on the future: the same past followed by a calm and by a wild future scores the same.
    private static void AssertCausal(DetectorOptions options)
    {
        var past = Stream(i => DailySine(i) + Noise(i)).Take(Anomaly).ToArray();
        var calm = Score(past.Concat(Stream(i => DailySine(i) + Noise(i)).Skip(Anomaly)), options);
        var wild = Score(past.Concat(Stream(i => 1e6 * Noise(i)).Skip(Anomaly)), options);
        var alone = Score(past, options);

        Assert.Equal(alone, calm[..Anomaly]);
        Assert.Equal(alone, wild[..Anomaly]);
        Assert.NotEqual(calm[Anomaly..], wild[Anomaly..]);
    }

    private static IEnumerable<(DateTimeOffset At, double Value)> Stream(Func<int, double> value) =>
        Enumerable.Range(0, Length).Select(i => (Start.AddMinutes(5 * i), value(i)));

    private static List<int> Alerts(IEnumerable<(DateTimeOffset At, double Value)> stream, DetectorOptions? options = null)
    {
        var detector = new AnomalyDetector(options);
        return stream.Select((point, i) => (i, detector.Update(point.At, point.Value).Alert))
            .Where(point => point.Alert && point.i >= Learning).Select(point => point.i).ToList();
    }

    private static Score[] Score(IEnumerable<(DateTimeOffset At, double Value)> stream, DetectorOptions? options = null)
    {
        var detector = new AnomalyDetector(options ?? DetectorOptions.Default with { Stages = DetectorStages.SpectralResidual | DetectorStages.Baseline | DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression });
        return stream.Select(point => detector.Update(point.At, point.Value)).ToArray();
    }

    private static void Feed(AnomalyDetector detector, int points)
    {
        for (var i = 0; i < points; i++)
        {
            detector.Update(Start.AddMinutes(5 * i), DailySine(i));
        }
    }
}
