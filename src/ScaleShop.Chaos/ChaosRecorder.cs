using System.Collections.Concurrent;
using System.Diagnostics;
using ScaleShop.Load;

namespace ScaleShop.Chaos;

/// <summary>
/// Every request of the experiment's load, classified by the shard of its shopper's data, on one clock; and
/// every order the service acknowledged. The load is tens of journeys a second for minutes, so every sample is
/// kept and percentiles are exact (no histogram buckets between a budget and a verdict).
/// </summary>
public sealed class ChaosRecorder(Func<int, string?> shardOfUser) : IJourneyObserver
{
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly List<RequestSample> _samples = [];
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, AcknowledgedOrderRecord> _orders = new(StringComparer.Ordinal);

    /// <summary>Time since the recorder was made: the experiment's clock.</summary>
    public TimeSpan Now => Stopwatch.GetElapsedTime(_origin);

    /// <summary>Orders acknowledged, once each (a retried checkout may be acknowledged twice under one key).</summary>
    public IReadOnlyCollection<AcknowledgedOrderRecord> Orders => _orders.Values.ToList();

    public void RequestEnded(ObservedRequest request)
    {
        // A request belongs to the phase it was sent in (its due time), not the one it ended in: a call that hung
        // on the paused database and timed out after the rollback is the fault's, not the recovery's.
        var sample = new RequestSample(Now - request.Latency, request.Journey, request.UserIndex is { } user ? shardOfUser(user) : null,
            request.Latency.TotalMilliseconds, request.Error is not null);
        lock (_lock)
        {
            _samples.Add(sample);
        }
    }

    public void OrderAcknowledged(AcknowledgedOrder order) =>
        _orders.TryAdd(order.OrderId, new AcknowledgedOrderRecord(order, Now, shardOfUser(order.UserIndex)));

    /// <summary>The requests sent in [<paramref name="from"/>, <paramref name="to"/>) that have ended.</summary>
    public IReadOnlyList<RequestSample> Between(TimeSpan from, TimeSpan to)
    {
        lock (_lock)
        {
            // Scanning is cheap at these rates (a few hundred a second).
            return _samples.Where(s => s.At >= from && s.At < to).ToList();
        }
    }
}

/// <summary>An acknowledged order with when it was acknowledged and the shard of its owner.</summary>
public sealed record AcknowledgedOrderRecord(AcknowledgedOrder Order, TimeSpan At, string? Shard);
