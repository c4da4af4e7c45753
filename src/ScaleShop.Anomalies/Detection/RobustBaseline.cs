namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// A robust seasonal baseline in constant memory: per phase of the day (and one for the series as a whole) a level
/// and a spread follow the data by exponentially weighted averages whose inputs are clipped at a few spreads (a
/// Huber-style M-estimate), so a burst of outliers bends them little. The raw score is the robust z-score of the
/// newest point against its phase once the phase has history, and against the whole series before that.
/// </summary>
internal sealed class RobustBaseline
{
    private readonly BaselineOptions _options;
    private readonly double[] _level;
    private readonly double[] _spread;
    private readonly int[] _seen;

    public RobustBaseline(BaselineOptions options)
    {
        _options = options;
        // Slot 0 is the whole series, slots 1..Phases the phases of the day.
        _level = new double[options.Phases + 1];
        _spread = new double[options.Phases + 1];
        _seen = new int[options.Phases + 1];
    }

    public int BufferLength => _level.Length + _spread.Length + _seen.Length;

    public double Update(DateTimeOffset at, double value)
    {
        var phase = _options.Phases == 0 ? 0 : 1 + (int)(at.TimeOfDay.Ticks * _options.Phases / TimeSpan.TicksPerDay);
        var overall = Observe(0, value, _options.Alpha);
        if (phase == 0)
        {
            return overall;
        }

        var seasonal = Observe(phase, value, _options.PhaseAlpha);
        return _seen[phase] > _options.PhaseWarmup ? seasonal : overall;
    }

    private double Observe(int slot, double value, double alpha)
    {
        var seen = ++_seen[slot];
        if (seen == 1)
        {
            _level[slot] = value;
            _spread[slot] = 0;
            return 0;
        }

        // Until the average has as many points as its horizon, weigh all points equally (a running mean).
        var weight = Math.Max(alpha, 1.0 / seen);
        var residual = value - _level[slot];
        var floor = _options.RelativeFloor * Math.Abs(_level[slot]) + _options.AbsoluteFloor;
        var spread = Math.Max(_spread[slot], floor);
        var z = Math.Abs(residual) / spread;

        var clip = _options.Clip * spread;
        _level[slot] += weight * Math.Clamp(residual, -clip, clip);
        _spread[slot] += weight * (Math.Min(Math.Abs(residual), clip) - _spread[slot]);
        return seen <= _options.Warmup ? 0 : z;
    }
}

/// <summary>
/// Phases: slots of the day (0 = no season; 24 hourly phases scored lower on NAB, whose files are two weeks or less). Alpha/PhaseAlpha: weight of a new point in the whole-series and
/// per-phase averages. Clip: residuals are clipped at this many spreads. The floors keep a flat series from dividing by zero.
/// </summary>
public sealed record BaselineOptions(
    int Phases = 0,
    double Alpha = 0.004,
    double PhaseAlpha = 0.1,
    double Clip = 3.0,
    int Warmup = 20,
    int PhaseWarmup = 10,
    double RelativeFloor = 1e-3,
    double AbsoluteFloor = 1e-9);
