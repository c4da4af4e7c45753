using System.Collections.Concurrent;

namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// Detectors for many series, keyed by series name, all sharing one configuration. A series gets its detector on
/// its first point; updates to one series are serialised, different series proceed in parallel.
/// </summary>
public sealed class AnomalyRegistry(DetectorOptions? options = null)
{
    private readonly DetectorOptions _options = options ?? DetectorOptions.Default;
    private readonly ConcurrentDictionary<string, AnomalyDetector> _detectors = new(StringComparer.Ordinal);

    public int Count => _detectors.Count;

    public Score Update(string series, DateTimeOffset at, double value)
    {
        var detector = _detectors.GetOrAdd(series, static (_, options) => new AnomalyDetector(options), _options);
        lock (detector)
        {
            return detector.Update(at, value);
        }
    }

    public bool Remove(string series) => _detectors.TryRemove(series, out _);
}
