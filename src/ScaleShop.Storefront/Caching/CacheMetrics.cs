using System.Diagnostics.Metrics;

namespace ScaleShop.Storefront.Caching;

/// <summary>Cache hits and misses, for the hit ratio the capacity model depends on.</summary>
public sealed class CacheMetrics
{
    public const string MeterName = "ScaleShop.Caching";

    private static readonly KeyValuePair<string, object?> Hit = new("cache.result", "hit");
    private static readonly KeyValuePair<string, object?> StaleHit = new("cache.result", "stale_hit");
    private static readonly KeyValuePair<string, object?> Miss = new("cache.result", "miss");

    private readonly Counter<long> _lookups;

    public CacheMetrics(IMeterFactory meterFactory)
    {
        _lookups = meterFactory.Create(MeterName).CreateCounter<long>("scaleshop.cache.lookups", unit: "{lookup}",
            description: "Cache lookups by result (hit, stale_hit, miss).");
    }

    public void RecordHit(bool stale) => _lookups.Add(1, stale ? StaleHit : Hit);

    public void RecordMiss() => _lookups.Add(1, Miss);
}
