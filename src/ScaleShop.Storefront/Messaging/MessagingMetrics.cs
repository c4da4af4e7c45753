using System.Diagnostics.Metrics;

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
        _published.Add(1, new KeyValuePair<string, object?>("event.type", @event.Type));
    }

    public void DispatchFailed(string database) => _dispatchFailures.Add(1, new KeyValuePair<string, object?>("db.name", database));

    public void Applied(string consumer, IntegrationEvent @event, TimeSpan lag)
    {
        _consumerLag.Record(lag.TotalMilliseconds, new KeyValuePair<string, object?>("consumer", consumer));
        _applied.Add(1, new KeyValuePair<string, object?>("consumer", consumer));
    }

    public void Duplicate(string consumer) => _duplicates.Add(1, new KeyValuePair<string, object?>("consumer", consumer));

    public void DeadLettered(string consumer) => _deadLettered.Add(1, new KeyValuePair<string, object?>("consumer", consumer));
}
