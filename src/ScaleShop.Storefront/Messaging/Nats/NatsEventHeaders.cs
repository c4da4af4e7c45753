using System.Globalization;
using System.Text;
using NATS.Client.Core;

namespace ScaleShop.Storefront.Messaging;

/// <summary>How an <see cref="IntegrationEvent"/> travels on JetStream: its payload is the body, the rest are headers.</summary>
public static class NatsEventHeaders
{
    /// <summary>JetStream's deduplication key: a second publish of the same id within the window is dropped.</summary>
    public const string MessageId = "Nats-Msg-Id";
    public const string EventId = "ScaleShop-Event-Id";
    public const string EventType = "ScaleShop-Event-Type";
    public const string UserId = "ScaleShop-Event-User-Id";
    public const string OccurredAt = "ScaleShop-Event-Occurred-At";

    /// <summary>W3C trace context, under its standard name, so any tracing-aware reader continues the trace.</summary>
    public const string TraceParent = "traceparent";

    public static NatsHeaders Of(IntegrationEvent @event)
    {
        var id = @event.Id.ToString(CultureInfo.InvariantCulture);
        var headers = new NatsHeaders
        {
            [MessageId] = id,
            [EventId] = id,
            [EventType] = @event.Type,
            [UserId] = @event.UserId.ToString(CultureInfo.InvariantCulture),
            [OccurredAt] = @event.OccurredAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        if (@event.TraceParent is { Length: > 0 } traceParent)
        {
            headers[TraceParent] = traceParent;
        }

        return headers;
    }

    public static byte[] Body(IntegrationEvent @event) => Encoding.UTF8.GetBytes(@event.Payload);

    /// <summary>The event a message carries, or null when its headers are not ours (published by something else).</summary>
    public static IntegrationEvent? ToEvent(NatsHeaders? headers, byte[]? body)
    {
        if (Long(headers, EventId) is not { } id || Get(headers, EventType) is not { Length: > 0 } type
            || Long(headers, UserId) is not { } userId || Long(headers, OccurredAt) is not { } occurredAt)
        {
            return null;
        }

        return new IntegrationEvent(id, type, userId, body is null ? "" : Encoding.UTF8.GetString(body), DateTimeOffset.FromUnixTimeMilliseconds(occurredAt), Get(headers, TraceParent));
    }

    public static string? Get(NatsHeaders? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value) ? value.ToString() : null;

    public static long? Long(NatsHeaders? headers, string key) =>
        long.TryParse(Get(headers, key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
}
