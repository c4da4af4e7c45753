using System.Diagnostics;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Traces across the bus: an event remembers the trace context of the request that wrote it, and a consumer's
/// delivery is a span of that trace (child of the first event's context, linked to the others of its batch),
/// so one trace shows a checkout from the request to the projections it fed.
/// </summary>
public static class MessagingTelemetry
{
    public const string SourceName = "ScaleShop.Messaging";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current span's W3C id (<c>00-trace-span-flags</c>), or null outside a trace.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>A consumer's delivery of a batch: continues the trace of the batch's first traced event.</summary>
    public static Activity? StartDelivery(string consumer, IReadOnlyList<IntegrationEvent> events)
    {
        var contexts = events.Select(e => ActivityContext.TryParse(e.TraceParent, null, out var context) ? context : default)
            .Where(c => c != default).ToList();
        var activity = Source.StartActivity($"consume {consumer}", ActivityKind.Consumer,
            contexts.Count > 0 ? contexts[0] : default, links: contexts.Skip(1).Select(c => new ActivityLink(c)));
        activity?.SetTag("messaging.consumer.group.name", consumer);
        activity?.SetTag("messaging.batch.message_count", events.Count);
        return activity;
    }
}
