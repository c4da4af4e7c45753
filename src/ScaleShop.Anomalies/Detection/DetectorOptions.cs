namespace ScaleShop.Anomalies.Detection;

/// <summary>Max: the strongest likelihood. NoisyOr: 1 − Π(1 − l). Product: the geometric mean (both must agree).</summary>
public enum LikelihoodCombination
{
    Max,
    NoisyOr,
    Product,
}

/// <summary>The stages a detector runs; NAB figures for each combination are in docs/anomaly-detection.md.</summary>
[Flags]
public enum DetectorStages
{
    None = 0,
    SpectralResidual = 1,
    Baseline = 2,
    Likelihood = 4,
    Suppression = 8,
    Context = 16,
}

/// <summary>
/// One detector configuration for every series: nothing is tuned per series. SpectralScale/BaselineScale: the raw
/// score that maps to 0.5 before calibration. AlertThreshold: the anomaly score that alerts (0.5 = a Gaussian tail of
/// 1e-5 once calibrated). SuppressPoints: points after an alert during which the series cannot alert again.
/// </summary>
public sealed record DetectorOptions
{
    public static readonly DetectorOptions Default = new();

    // Spectral Residual is available but off: added to the baseline it lowered the NAB score (docs/anomaly-detection.md).
    // The context detector beside the baseline raised it (48.0 → 56.6 standard with SuppressPoints 150); the daily
    // memory, a slower baseline (α 0.0075) and SuppressPoints 120 to 65.4; later rounds' stages (the likelihoods'
    // noisy-OR, the adaptive bar, the set context, the periodic-event memory) to 74.59.
    public DetectorStages Stages { get; init; } = DetectorStages.Baseline | DetectorStages.Context | DetectorStages.Likelihood | DetectorStages.Suppression;

    public SpectralResidualOptions SpectralResidual { get; init; } = new();

    public BaselineOptions Baseline { get; init; } = new();

    public LikelihoodOptions Likelihood { get; init; } = new();

    public ContextOptions Context { get; init; } = new();

    public double SpectralScale { get; init; } = 3.0;

    public double BaselineScale { get; init; } = 10.0;

    public double AlertThreshold { get; init; } = 0.5;

    public int SuppressPoints { get; init; } = 120;

    /// <summary>Half-life, in points, of the recent peak a score must rise above to be passed on (0: SuppressPoints).</summary>
    public int PeakHalfLife { get; init; }

    /// <summary>
    /// Slots of the day (0 = off) each remembering the highest likelihood seen at that time of day; a score that does
    /// not exceed DailyMargin times the peak of its slot or a neighbouring one is a recurring event (a nightly batch, a
    /// daily backup), not a new anomaly. Each visit to a slot multiplies its peak by DailyDecay.
    /// </summary>
    public int DailySlots { get; init; } = 48;

    public double DailyDecay { get; init; } = 0.999;

    /// <summary>
    /// 1.0 since round 8: a score no higher than its slot's peak recurs. It was 0.9 while a repeat of the daily peak could
    /// hide a window's new extreme; with <see cref="NewExtremesEscape"/> it cannot, and the stricter margin lowers false
    /// positives without losing a window (docs/anomaly-detection.md, round 8).
    /// </summary>
    public double DailyMargin { get; init; } = 1.0;

    /// <summary>
    /// A value beyond every value the series has shown (above its maximum or below its minimum so far) is passed on
    /// whatever the hold-off, the recent peak, the daily memory and the adaptive bar say: they exist to stop a known
    /// behaviour from alerting again, and a new extreme is by definition none. It escapes only once the series has calmed
    /// since its last alert (<see cref="NewExtremeCalmLevel"/>), so the further records of one level shift stay one
    /// episode, and an alert it raises inside a hold-off leaves the hold-off as it was. Round 8 on NAB: 74.59 → 75.82
    /// alone, 76.33 with <see cref="DailyMargin"/> 1.0; escapes at random points at the same rate lower the score instead
    /// (docs/anomaly-detection.md). Two doubles and a flag of state.
    /// </summary>
    public bool NewExtremesEscape { get; init; } = true;

    /// <summary>The series has calmed since its last alert once a likelihood fell below this level (the periodic event level).</summary>
    public double NewExtremeCalmLevel { get; init; } = 0.3;

    /// <summary>
    /// A new extreme the periodic memory calls a rhythm's event escapes only when it lies at least this share of the range
    /// seen so far beyond it: a rhythm's heights vary, and a record by a hair is still the rhythm. NAB does not choose it
    /// (flat from 0 to 0.2); the synthetic rhythm test does (its noisy spikes set records up to 0.08 of the range).
    /// </summary>
    public double NewExtremeRhythmMargin { get; init; } = 0.1;

    /// <summary>
    /// Events the periodic-event memory remembers (0 = off; <see cref="PeriodicEventMemory"/>): an event continuing an
    /// arithmetic progression of two remembered ones is a rhythm (a job every P points) and recurs, as a score the same
    /// time of day has produced does. The daily memory knows only the 24-hour period; this one learns any, from the events
    /// themselves. Chosen on half A of NAB and checked on half B (docs/anomaly-detection.md, round 7).
    /// </summary>
    public int PeriodicEvents { get; init; } = 16;

    /// <summary>An event is the likelihood rising through this level.</summary>
    public double PeriodicEventLevel { get; init; } = 0.3;

    /// <summary>The shortest period, in points, a rhythm may have (shorter is a burst, not a job).</summary>
    public int PeriodicMinimumPoints { get; init; } = 10;

    /// <summary>How far, in points, an event may miss the progression and still continue it.</summary>
    public int PeriodicTolerancePoints { get; init; } = 1;

    /// <summary>Points after a periodic event that recur with it.</summary>
    public int PeriodicHoldPoints { get; init; } = 3;

    /// <summary>
    /// Two points in a row must reach a level before it is passed on: a point's score is the lower of its likelihood
    /// and the previous point's, so a threshold is crossed only when it held for two points. Causal: one point of
    /// delay, one double of state.
    /// </summary>
    public bool Confirm { get; init; }

    /// <summary>With Confirm: a likelihood at least this high passes at once (strong evidence needs no second point).</summary>
    public double ConfirmBypass { get; init; } = 1.01;

    /// <summary>How the calibrated detectors' likelihoods become one score.</summary>
    public LikelihoodCombination Combination { get; init; } = LikelihoodCombination.NoisyOr;

    /// <summary>
    /// Per-series adaptive bar (0 = off): a running estimate of this quantile of the series' own likelihoods (a
    /// stochastic quantile tracker, one double); a likelihood not above AdaptiveMargin times it is held back.
    /// </summary>
    public double AdaptiveQuantile { get; init; } = 0.99;

    public double AdaptiveMargin { get; init; } = 1.0;

    public double AdaptiveStep { get; init; } = 0.01;

    internal double PeakDecay => Math.Pow(0.5, 1.0 / (PeakHalfLife > 0 ? PeakHalfLife : SuppressPoints));
}
