using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;

namespace ScaleShop.Storefront.Observability;

/// <summary>
/// Listens in-process to the instruments that <c>/metrics</c> exports (cache lookups, replica lag), so the
/// operations dashboard shows the very figures Prometheus scrapes without needing a metrics backend, and
/// without the features keeping a second set of counters for it. Only this host's meters are read: test
/// processes run several hosts side by side. It listens from start-up, not from the first dashboard request.
/// </summary>
public sealed class InstrumentReadings : HostedMeterListener
{
    // The instrument names are the exported metric names; a rename there is a rename of a published metric.
    private const string CacheLookups = "scaleshop.cache.lookups";
    private const string CacheResultTag = "cache.result";
    private const string ReplicaLag = "scaleshop.db.replica.lag";
    private const string DatabaseTag = "db.name";
    private const string ReplicaTag = "db.replica";

    private readonly Lock _observing = new();
    private readonly ConcurrentDictionary<(string Database, int Replica), long> _replicaLag = new();
    private long _hits;
    private long _staleHits;
    private long _misses;

    public InstrumentReadings(IMeterFactory meterFactory)
    {
        Listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && IsRead(instrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        Listener.SetMeasurementEventCallback<long>(OnMeasurement);
    }

    /// <summary>Cache lookups since this instance started.</summary>
    public CacheReading Cache() => new(Interlocked.Read(ref _hits), Interlocked.Read(ref _staleHits), Interlocked.Read(ref _misses));

    /// <summary>Every replica's lag as its gauge reports it now (bytes of WAL; -1 while unreachable), by database.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ReplicaStatus>> Replicas()
    {
        lock (_observing)
        {
            _replicaLag.Clear();
            Listener.RecordObservableInstruments();
            return _replicaLag.GroupBy(r => r.Key.Database, StringComparer.Ordinal).ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<ReplicaStatus>)g.OrderBy(r => r.Key.Replica).Select(r => new ReplicaStatus(r.Key.Replica, r.Value >= 0, r.Value >= 0 ? r.Value : null)).ToList(),
                StringComparer.Ordinal);
        }
    }

    private static bool IsRead(Instrument instrument) =>
        (instrument.Meter.Name == CacheMetrics.MeterName && instrument.Name == CacheLookups)
        || (instrument.Meter.Name == DataMetrics.MeterName && instrument.Name == ReplicaLag);

    private void OnMeasurement(Instrument instrument, long measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == CacheLookups)
        {
            switch (Tag(tags, CacheResultTag))
            {
                case "hit":
                    Interlocked.Add(ref _hits, measurement);
                    break;
                case "stale_hit":
                    Interlocked.Add(ref _staleHits, measurement);
                    break;
                case "miss":
                    Interlocked.Add(ref _misses, measurement);
                    break;
            }
        }
        else if (Tag(tags, DatabaseTag) is string database && Tag(tags, ReplicaTag) is int replica)
        {
            _replicaLag[(database, replica)] = measurement;
        }
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}

/// <summary>Cache lookups by result. A stale hit is still served from the cache (no database work), so it counts towards the hit ratio.</summary>
public sealed record CacheReading(long Hits, long StaleHits, long Misses)
{
    public long Lookups => Hits + StaleHits + Misses;

    public double? HitRatio => Lookups == 0 ? null : (double)(Hits + StaleHits) / Lookups;
}

/// <summary>One replica of a database: answering or not, and how far behind its primary it is.</summary>
public sealed record ReplicaStatus(int Replica, bool Healthy, long? LagBytes);
