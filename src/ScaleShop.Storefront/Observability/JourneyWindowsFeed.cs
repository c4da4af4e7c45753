using System.Diagnostics.Metrics;
using ScaleShop.Slo;

namespace ScaleShop.Storefront.Observability;

/// <summary>
/// Feeds this instance's rolling windows from its own journey metric (a <see cref="MeterListener"/> on the
/// histogram the Prometheus exporter also reads), so <c>/api/ops/slo</c> and the fleet's Prometheus rules are
/// computed from the same measurements. Only this container's meter is listened to: other hosts in the same
/// process (tests) keep their own windows.
/// </summary>
public sealed class JourneyWindowsFeed : HostedMeterListener
{
    private readonly JourneyWindows _windows;
    private readonly TimeProvider _time;

    public JourneyWindowsFeed(JourneyMetrics metrics, JourneyWindows windows, TimeProvider time)
    {
        _windows = windows;
        _time = time;
        Listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == JourneyMetrics.DurationInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        Listener.SetMeasurementEventCallback<double>(OnMeasurement);
    }

    private void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? journey = null;
        var failed = false;
        foreach (var tag in tags)
        {
            if (tag.Key == JourneyMetrics.JourneyTag)
            {
                journey = tag.Value as string;
            }
            else if (tag.Key == JourneyMetrics.OutcomeTag)
            {
                failed = (tag.Value as string) == JourneyMetrics.Failure;
            }
        }

        if (journey is not null)
        {
            _windows.Record(journey, failed, seconds * 1000, _time.GetUtcNow());
        }
    }
}
