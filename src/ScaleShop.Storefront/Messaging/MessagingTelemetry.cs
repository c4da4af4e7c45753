using System.Diagnostics;
using OpenTelemetry;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Traces across the bus: an event remembers the trace context of the request that wrote it; the dispatcher's
/// hand-over of a batch to the bus is an <c>outbox publish</c> span, and a consumer's delivery a <c>consume</c>
/// span, each a child of the batch's first traced event (of the outbox span itself when the bus is in-process)
/// and linked to the others of its batch — so one trace shows a checkout from the request through the outbox
/// to the projections it fed.
/// </summary>
public static class MessagingTelemetry
{
    public const string SourceName = "ScaleShop.Messaging";
    public const string OutboxPublish = "outbox publish";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current span's W3C id (<c>00-trace-span-flags</c>), or null outside a trace.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>The dispatcher hands a batch of <paramref name="database"/>'s outbox to the bus.</summary>
    public static Activity? StartOutboxPublish(string database, IReadOnlyList<IntegrationEvent> events)
    {
        var activity = StartBatch(OutboxPublish, ActivityKind.Producer, events);
        activity?.SetTag("db.namespace", database);
        return activity;
    }

    /// <summary>A consumer's delivery of a batch: continues the trace of the batch's first traced event.</summary>
    public static Activity? StartDelivery(string consumer, IReadOnlyList<IntegrationEvent> events)
    {
        var activity = StartBatch($"consume {consumer}", ActivityKind.Consumer, events);
        activity?.SetTag("messaging.consumer.group.name", consumer);
        return activity;
    }

    /// <summary>
    /// Makes <paramref name="event"/>'s own trace current around its publish, unless it already is: a bus client
    /// that traces its publish (NATS.Net) writes its span into the message's <c>traceparent</c>, and for an event
    /// that is not the first of its batch that span would otherwise join the first event's trace. A bare activity
    /// (no source, never exported) carries the context and its sampling flag. An event without a trace publishes
    /// with tracing suppressed, so the client does not invent one for it. Null when nothing listens.
    /// </summary>
    public static IDisposable? ContinueEventTrace(IntegrationEvent @event)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        if (!ActivityContext.TryParse(@event.TraceParent, null, out var context))
        {
            return SuppressInstrumentationScope.Begin();
        }

        return Activity.Current?.TraceId == context.TraceId ? null
            : new Activity(OutboxPublish).SetParentId(context.TraceId, context.SpanId, context.TraceFlags).Start();
    }

    private static Activity? StartBatch(string name, ActivityKind kind, IReadOnlyList<IntegrationEvent> events)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var contexts = events.Select(e => ActivityContext.TryParse(e.TraceParent, null, out var context) ? context : default)
            .Where(c => c != default).ToList();
        var parent = contexts.Count == 0 ? default
            : Activity.Current is { } current && current.TraceId == contexts[0].TraceId ? current.Context
            : contexts[0];
        var activity = Source.StartActivity(name, kind, parent, links: contexts.Skip(1).Select(c => new ActivityLink(c)));
        activity?.SetTag("messaging.batch.message_count", events.Count);
        return activity;
    }
}
