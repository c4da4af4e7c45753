using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HdrHistogram;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// How far behind the asynchronous parts are: outbox publish lag (commit → bus has it) and projection lag
/// (commit → a consumer applied it), plus what was applied, repeated, parked.
/// </summary>
public sealed class MessagingMetrics
{
    public const string MeterName = "ScaleShop.Messaging";

    private readonly Histogram<double> _publishLag;
    private readonly Counter<long> _published;
    private readonly Counter<long> _dispatchFailures;
    private readonly Histogram<double> _consumerLag;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLettered;

    // Kept in-process as well, so an operator (and the benchmarks) can read p99s from the admin API without a metrics backend.
    private readonly LongConcurrentHistogram _publishLagMicros = NewHistogram();
    private readonly ConcurrentDictionary<string, LongConcurrentHistogram> _consumerLagMicros = new();

    public MessagingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _publishLag = meter.CreateHistogram<double>("scaleshop.outbox.publish_lag", unit: "ms",
            description: "From the commit that wrote an event to the bus acknowledging it.");
        _published = meter.CreateCounter<long>("scaleshop.outbox.published", unit: "{event}", description: "Events handed to the bus, by type.");
        _dispatchFailures = meter.CreateCounter<long>("scaleshop.outbox.dispatch_failures", unit: "{failure}", description: "Failed dispatch passes, by database.");
        _consumerLag = meter.CreateHistogram<double>("scaleshop.consumer.lag", unit: "ms",
            description: "From the commit that wrote an event to a consumer applying it (projection lag), by consumer.");
        _applied = meter.CreateCounter<long>("scaleshop.consumer.applied", unit: "{event}", description: "Events applied, by consumer.");
        _duplicates = meter.CreateCounter<long>("scaleshop.consumer.duplicates", unit: "{event}", description: "Redelivered events a consumer had applied already and skipped.");
        _deadLettered = meter.CreateCounter<long>("scaleshop.consumer.dead_lettered", unit: "{event}", description: "Poison events parked, by consumer.");
    }

    public void Published(IntegrationEvent @event, TimeSpan lag)
    {
        _publishLag.Record(lag.TotalMilliseconds, new KeyValuePair<string, object?>("event.type", @event.Type));
        _publishLagMicros.RecordValue(Micros(lag));
        _published.Add(1, new KeyValuePair<string, object?>("event.type", @event.Type));
    }

    public void DispatchFailed(string database) => _dispatchFailures.Add(1, new KeyValuePair<string, object?>("db.name", database));

    public void Applied(string consumer, IntegrationEvent @event, TimeSpan lag)
    {
        _consumerLag.Record(lag.TotalMilliseconds, new KeyValuePair<string, object?>("consumer", consumer));
        _consumerLagMicros.GetOrAdd(consumer, _ => NewHistogram()).RecordValue(Micros(lag));
        _applied.Add(1, new KeyValuePair<string, object?>("consumer", consumer));
    }

    public void Duplicate(string consumer) => _duplicates.Add(1, new KeyValuePair<string, object?>("consumer", consumer));

    public void DeadLettered(string consumer) => _deadLettered.Add(1, new KeyValuePair<string, object?>("consumer", consumer));

    /// <summary>Lag percentiles since this instance started: outbox publish lag and each consumer's lag.</summary>
    public LagReport Report() => new(Summarize(_publishLagMicros),
        _consumerLagMicros.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => Summarize(c.Value)));

    private static LongConcurrentHistogram NewHistogram() => new(1, TimeSpan.FromHours(1).Ticks / 10, 3);

    // Clock skew between instances can make a lag negative; it counts as zero rather than being lost.
    private static long Micros(TimeSpan lag) => Math.Clamp((long)lag.TotalMicroseconds, 1, TimeSpan.FromHours(1).Ticks / 10);

    private static LagSummary Summarize(LongConcurrentHistogram histogram)
    {
        var copy = histogram.Copy();
        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        return copy.TotalCount == 0
            ? new LagSummary(0, 0, 0, 0, 0)
            : new LagSummary(copy.TotalCount, Ms(copy.GetValueAtPercentile(50)), Ms(copy.GetValueAtPercentile(99)), Ms(copy.GetValueAtPercentile(99.9)), Ms(copy.GetMaxValue()));
    }
}

public sealed record LagSummary(long Count, double P50Ms, double P99Ms, double P999Ms, double MaxMs);

public sealed record LagReport(LagSummary Publish, IReadOnlyDictionary<string, LagSummary> Consumers);
