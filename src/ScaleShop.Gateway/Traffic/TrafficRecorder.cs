using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ScaleShop.Gateway.Traffic;

/// <summary>
/// Cumulative traffic since start, per version and per destination: requests, failures (the client got a 5xx)
/// and latency as counts over fixed bucket bounds. Each client request is recorded once, after retries, against
/// the destination that produced the final answer. Lock-free: one Interlocked increment per counter.
/// Also the <c>ScaleShop.Gateway</c> meter: <c>scaleshop.gateway.request.duration</c> (version, outcome) and
/// <c>scaleshop.gateway.retries</c>.
/// </summary>
public sealed class TrafficRecorder
{
    public const string MeterName = "ScaleShop.Gateway";

    /// <summary>Version and destination under which requests that reached no destination are counted in the meter.</summary>
    public const string NoDestination = "none";

    /// <summary>Upper bounds (inclusive) of the latency buckets in milliseconds; one overflow bucket follows.</summary>
    public static readonly IReadOnlyList<int> LatencyBoundsMs = [1, 2, 3, 5, 8, 13, 20, 30, 50, 80, 130, 200, 300, 500, 800, 1300, 2000, 3000, 5000, 8000, 13000];

    private readonly ConcurrentDictionary<string, TrafficCounters> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrafficCounters> _destinations = new(StringComparer.Ordinal);
    private readonly TrafficCounters _unrouted = new(NoDestination);
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _retries;
    private readonly DateTimeOffset _since;

    public TrafficRecorder(IMeterFactory meters, TimeProvider time)
    {
        _since = time.GetUtcNow();
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram<double>("scaleshop.gateway.request.duration", "s",
            "Client requests through the gateway, from arrival to the end of the answer, retries included.");
        _retries = meter.CreateCounter<long>("scaleshop.gateway.retries", "{attempt}", "Requests sent again to another destination after a transport failure.");
    }

    public void RecordRetry(string version) => _retries.Add(1, new KeyValuePair<string, object?>("version", version));

    /// <summary>Records one client request's final answer.</summary>
    public void Record(string? destinationId, string? version, int statusCode, bool failed, long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp);
        var bucket = Bucket(elapsed.TotalMilliseconds);
        var failure = failed || statusCode >= StatusCodes.Status500InternalServerError;
        if (destinationId is null || version is null)
        {
            _unrouted.Record(failure, bucket);
        }
        else
        {
            _versions.GetOrAdd(version, static v => new TrafficCounters(v)).Record(failure, bucket);
            var counters = _destinations.GetOrAdd(destinationId, static (_, v) => new TrafficCounters(v), version);
            counters.Version = version;
            counters.Record(failure, bucket);
        }

        var outcome = failure ? "failure" : statusCode >= StatusCodes.Status400BadRequest ? "client_error" : "success";
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("version", version ?? NoDestination), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public TrafficReport Report() => new(
        _since,
        LatencyBoundsMs,
        _versions.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value.Snapshot()),
        _destinations.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value.DestinationSnapshot()),
        _unrouted.Snapshot());

    /// <summary>Index of the first bound at or above <paramref name="milliseconds"/>; the overflow bucket past the last.</summary>
    public static int Bucket(double milliseconds)
    {
        for (var i = 0; i < LatencyBoundsMs.Count; i++)
        {
            if (milliseconds <= LatencyBoundsMs[i])
            {
                return i;
            }
        }

        return LatencyBoundsMs.Count;
    }

    private sealed class TrafficCounters(string version)
    {
        private readonly long[] _latency = new long[LatencyBoundsMs.Count + 1];
        private long _requests;
        private long _failures;

        /// <summary>The version the destination had when it last answered.</summary>
        public string Version { get; set; } = version;

        public void Record(bool failure, int bucket)
        {
            Interlocked.Increment(ref _requests);
            if (failure)
            {
                Interlocked.Increment(ref _failures);
            }

            Interlocked.Increment(ref _latency[bucket]);
        }

        public TrafficSnapshot Snapshot() => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _failures), Counts());

        public DestinationTrafficSnapshot DestinationSnapshot() => new(Version, Interlocked.Read(ref _requests), Interlocked.Read(ref _failures), Counts());

        private long[] Counts()
        {
            var counts = new long[_latency.Length];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = Interlocked.Read(ref _latency[i]);
            }

            return counts;
        }
    }
}

public sealed record TrafficSnapshot(long Requests, long Failures, IReadOnlyList<long> LatencyCounts);

public sealed record DestinationTrafficSnapshot(string Version, long Requests, long Failures, IReadOnlyList<long> LatencyCounts);

/// <summary>The body of <c>GET /admin/traffic</c>; <c>unrouted</c> counts requests no destination could take (503).</summary>
public sealed record TrafficReport(
    DateTimeOffset Since,
    IReadOnlyList<int> LatencyBoundsMs,
    IReadOnlyDictionary<string, TrafficSnapshot> Versions,
    IReadOnlyDictionary<string, DestinationTrafficSnapshot> Destinations,
    TrafficSnapshot Unrouted);
