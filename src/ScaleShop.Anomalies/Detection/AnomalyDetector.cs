namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// What a detector says about one point. Raw: the strongest raw detector score mapped into [0, 1]. Likelihood: the
/// calibrated anomaly score in [0, 1] (the raw score when calibration is off). Anomaly: the likelihood, or 0 while
/// a recent alert suppresses repeats. Alert: this point opens an alert.
/// </summary>
public readonly record struct Score(double Raw, double Likelihood, double Anomaly, bool Alert);

/// <summary>
/// A streaming anomaly detector for one series. Strictly causal (a score uses the points up to its own) and of fixed
/// size: every buffer is allocated when the detector is made and never grows. Not thread-safe; the registry
/// serialises updates per series.
/// </summary>
public sealed class AnomalyDetector
{
    private readonly DetectorOptions _options;
    private readonly SpectralResidual? _spectral;
    private readonly RobustBaseline? _baseline;
    private readonly AnomalyLikelihood? _spectralLikelihood;
    private readonly AnomalyLikelihood? _baselineLikelihood;
    private readonly ContextDetector? _context;
    private readonly AnomalyLikelihood? _contextLikelihood;
    private readonly double[] _daily;
    private readonly PeriodicEventMemory? _periodic;
    private int _suppressedFor;

    private double _minimum = double.PositiveInfinity;
    private double _maximum = double.NegativeInfinity;
    private bool _calmSinceAlert = true;
    private double _recentPeak;
    private double _previousLikelihood;
    private double _quantile;

    public AnomalyDetector(DetectorOptions? options = null)
    {
        _options = options ?? DetectorOptions.Default;
        if (_options.Stages.HasFlag(DetectorStages.SpectralResidual))
        {
            _spectral = new SpectralResidual(_options.SpectralResidual);
            _spectralLikelihood = _options.Stages.HasFlag(DetectorStages.Likelihood) ? new AnomalyLikelihood(_options.Likelihood) : null;
        }

        if (_options.Stages.HasFlag(DetectorStages.Baseline))
        {
            _baseline = new RobustBaseline(_options.Baseline);
            _baselineLikelihood = _options.Stages.HasFlag(DetectorStages.Likelihood) ? new AnomalyLikelihood(_options.Likelihood) : null;
        }

        if (_options.Stages.HasFlag(DetectorStages.Context))
        {
            _context = new ContextDetector(_options.Context);
            _contextLikelihood = _options.Stages.HasFlag(DetectorStages.Likelihood) && _options.Context.Calibrate ? new AnomalyLikelihood(_options.Likelihood) : null;
        }

        _daily = new double[_options.Stages.HasFlag(DetectorStages.Suppression) ? _options.DailySlots : 0];
        _periodic = _options.Stages.HasFlag(DetectorStages.Suppression) && _options.PeriodicEvents > 0 ? new PeriodicEventMemory(_options) : null;

        if (_spectral is null && _baseline is null && _context is null)
        {
            throw new ArgumentException("A detector needs at least one raw detector: Spectral Residual, the baseline or the context detector.", nameof(options));
        }
    }

    /// <summary>Elements (doubles, ints, longs) this detector holds in buffers: fixed at construction, whatever the stream's length.</summary>
    public int BufferLength =>
        (_spectral?.BufferLength ?? 0) + (_baseline?.BufferLength ?? 0) + (_spectralLikelihood?.BufferLength ?? 0) + (_baselineLikelihood?.BufferLength ?? 0) +
        (_context?.BufferLength ?? 0) + (_contextLikelihood?.BufferLength ?? 0) + _daily.Length + (_periodic?.BufferLength ?? 0);

    /// <summary>Contexts the context detector remembers now (0 without it); bounded by <see cref="ContextOptions.Capacity"/>.</summary>
    public int ContextCount => _context?.Count ?? 0;

    public Score Update(DateTimeOffset at, double value)
    {
        if (!double.IsFinite(value))
        {
            return default;
        }

        // How far beyond every value seen so far this one lies, as a share of the range seen so far (0 when inside it).
        var newExtreme = value > _maximum || value < _minimum;
        var beyondRange = newExtreme && _maximum > _minimum ? Math.Max(value - _maximum, _minimum - value) / (_maximum - _minimum) : 0;
        _minimum = Math.Min(_minimum, value);
        _maximum = Math.Max(_maximum, value);

        double raw = 0, likelihood = 0, noisyOr = 1, logProduct = 0;
        var calibrated = 0;
        if (_spectral is not null)
        {
            Combine(Squash(_spectral.Update(value), _options.SpectralScale), _spectralLikelihood, ref raw, ref likelihood, ref noisyOr, ref logProduct, ref calibrated);
        }

        if (_baseline is not null)
        {
            Combine(Squash(_baseline.Update(at, value), _options.BaselineScale), _baselineLikelihood, ref raw, ref likelihood, ref noisyOr, ref logProduct, ref calibrated);
        }

        if (_context is not null)
        {
            Combine(_context.Update(value), _contextLikelihood, ref raw, ref likelihood, ref noisyOr, ref logProduct, ref calibrated);
        }

        likelihood = _options.Combination switch
        {
            LikelihoodCombination.NoisyOr => 1 - noisyOr,
            LikelihoodCombination.Product => Math.Exp(logProduct / calibrated),
            _ => likelihood,
        };

        // Confirmation: a level counts only once the likelihood has held it for ConfirmPoints points in a row.
        if (_options.Confirm)
        {
            var confirmed = likelihood >= _options.ConfirmBypass ? likelihood : Math.Min(likelihood, _previousLikelihood);
            _previousLikelihood = likelihood;
            likelihood = confirmed;
        }

        // The adaptive bar: the series' own running quantile of likelihoods, updated after the point is judged.
        var belowBar = false;
        if (_options.AdaptiveQuantile > 0)
        {
            belowBar = likelihood <= _options.AdaptiveMargin * _quantile;
            _quantile += _options.AdaptiveStep * ((likelihood > _quantile ? 1 : 0) - (1 - _options.AdaptiveQuantile));
            _quantile = Math.Clamp(_quantile, 0, 1);
        }

        // A score no higher than the same time of day has recently produced is a recurring event (one slot either side
        // absorbs a little jitter); the slot remembers the score either way, so its peak follows the daily pattern.
        var daily = false;
        if (_daily.Length > 0)
        {
            var slot = (int)(at.TimeOfDay.Ticks * _daily.Length / TimeSpan.TicksPerDay);
            var before = _daily[(slot + _daily.Length - 1) % _daily.Length];
            var after = _daily[(slot + 1) % _daily.Length];
            daily = likelihood <= _options.DailyMargin * Math.Max(_daily[slot], Math.Max(before, after));
            _daily[slot] = Math.Max(_daily[slot] * _options.DailyDecay, likelihood);
        }

        var rhythm = _periodic?.Recurs(likelihood) ?? false;

        if (!_options.Stages.HasFlag(DetectorStages.Suppression))
        {
            return new Score(raw, likelihood, likelihood, likelihood >= _options.AlertThreshold);
        }

        // A score repeats an alert unless it rises above the recent peak (decaying with a half-life of SuppressPoints),
        // and nothing alerts for SuppressPoints after an alert: one incident, one alert, whatever threshold is applied.
        // A new extreme is no repeat of what the series has done, so it escapes all of that, once the series has calmed
        // since its last alert (the further records of one level shift are one episode). A rhythm's event escapes only
        // when it lies well beyond the range: its heights vary, and a record by a hair is still the rhythm.
        var peak = _recentPeak * _options.PeakDecay;
        var holdingOff = _suppressedFor > 0;
        var escapes = _options.NewExtremesEscape && newExtreme && _calmSinceAlert;
        var onRhythm = rhythm && !(escapes && beyondRange >= _options.NewExtremeRhythmMargin);
        var suppressed = onRhythm || (!escapes && (holdingOff || likelihood <= peak || daily || belowBar));
        _recentPeak = Math.Max(peak, likelihood);
        _calmSinceAlert |= likelihood < _options.NewExtremeCalmLevel;
        if (holdingOff)
        {
            _suppressedFor--;
        }

        // An alert that escaped a hold-off leaves it as it was, so a run of new extremes cannot silence the series for longer.
        var alert = !suppressed && likelihood >= _options.AlertThreshold;
        if (alert)
        {
            _calmSinceAlert = false;
            if (!holdingOff)
            {
                _suppressedFor = _options.SuppressPoints;
            }
        }

        return new Score(raw, likelihood, suppressed ? 0 : likelihood, alert);
    }

    // Each detector is calibrated on its own (their raw scales differ); the combination is the stronger evidence.
    private static void Combine(double raw, AnomalyLikelihood? calibration, ref double strongestRaw, ref double strongestLikelihood,
        ref double noisyOr, ref double logProduct, ref int calibrated)
    {
        strongestRaw = Math.Max(strongestRaw, raw);
        var likelihood = calibration?.Update(raw) ?? raw;
        strongestLikelihood = Math.Max(strongestLikelihood, likelihood);
        noisyOr *= 1 - likelihood;
        logProduct += Math.Log(Math.Max(likelihood, 1e-12));
        calibrated++;
    }

    // Maps [0, ∞) onto [0, 1) without saturating: a raw score of one scale reads 0.5, and order is kept for any finite raw score.
    private static double Squash(double raw, double scale) => raw / (raw + scale);
}
