namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// The periodic-event memory (docs/anomaly-detection.md, round 7). An event is the likelihood rising through
/// <see cref="DetectorOptions.PeriodicEventLevel"/>; the positions of the last <see cref="DetectorOptions.PeriodicEvents"/>
/// events are remembered. An event that continues an arithmetic progression of two remembered ones (P points after one
/// that came P points after another, P ≥ <see cref="DetectorOptions.PeriodicMinimumPoints"/>, within
/// <see cref="DetectorOptions.PeriodicTolerancePoints"/>) is a rhythm the series keeps — a job every P points — not an
/// anomaly: it and the <see cref="DetectorOptions.PeriodicHoldPoints"/> after it recur (a periodic burst is a few
/// points wide). Whatever its height: capped by the matched events' peak, as the daily memory caps, it scored 72.1–73.9
/// on NAB against 74.59 uncapped, so a real anomaly that happens to land on a rhythm is the price paid.
/// Fixed size: one long per remembered event.
/// </summary>
internal sealed class PeriodicEventMemory(DetectorOptions options)
{
    private readonly long[] _events = new long[options.PeriodicEvents];
    private long _points;
    private int _cursor;
    private long _recurringUntil = -1;
    private double _lastLikelihood;

    public int BufferLength => _events.Length;

    /// <summary>Takes the next point's likelihood; true when the point belongs to a rhythm.</summary>
    public bool Recurs(double likelihood)
    {
        _points++;
        var rising = likelihood >= options.PeriodicEventLevel && _lastLikelihood < options.PeriodicEventLevel;
        _lastLikelihood = likelihood;
        if (rising)
        {
            if (ContinuesAProgression(_points))
            {
                _recurringUntil = _points + options.PeriodicHoldPoints;
            }

            _events[_cursor] = _points;
            _cursor = (_cursor + 1) % _events.Length;
        }

        return _points <= _recurringUntil;
    }

    // Empty slots hold 0, and positions start at 1.
    private bool ContinuesAProgression(long now)
    {
        foreach (var previous in _events)
        {
            var period = now - previous;
            if (previous == 0 || period < options.PeriodicMinimumPoints)
            {
                continue;
            }

            foreach (var earlier in _events)
            {
                if (earlier != 0 && earlier < previous && Math.Abs(previous - earlier - period) <= options.PeriodicTolerancePoints)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
