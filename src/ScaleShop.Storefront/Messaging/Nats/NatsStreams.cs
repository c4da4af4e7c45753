using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The JetStream layout: <c>{PREFIX}_EVENTS</c> on <c>{prefix}.events.&gt;</c> and <c>{PREFIX}_DLQ</c> on
/// <c>{prefix}.dlq.&gt;</c>, created (or brought up to date) before first use. Creation is retried by whoever
/// needs the streams next, so a server that is down at start-up delays events instead of failing the host.
/// </summary>
public sealed partial class NatsStreams(INatsJSContext jetStream, IOptions<MessagingOptions> options, ILogger<NatsStreams> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public NatsMessagingOptions Options => options.Value.Nats;

    public INatsJSContext JetStream => jetStream;

    // Stream names may not hold '.', '*' or '>'; the prefix is validated to [A-Za-z0-9_-] already.
    public string EventsStream => StreamName(Options.Prefix, "EVENTS");

    public string DeadLetterStream => StreamName(Options.Prefix, "DLQ");

    public string DeadLetterSubjects => $"{Options.Prefix}.dlq.>";

    public static string StreamName(string prefix, string suffix) => $"{prefix.ToUpperInvariant()}_{suffix}";

    /// <summary>An event's subject: types like <c>order.confirmed</c> become tokens under the prefix.</summary>
    public string EventSubject(string eventType) => $"{Options.Prefix}.events.{eventType}";

    public string DeadLetterSubject(string consumer) => $"{Options.Prefix}.dlq.{DurableName(consumer)}";

    /// <summary>A consumer's name as JetStream accepts it for a durable consumer or a subject token.</summary>
    public static string DurableName(string consumer) => UnsafeNameCharacters().Replace(consumer, "_");

    /// <summary>A token that gives up after <see cref="NatsMessagingOptions.RequestTimeout"/>, so no call to the server waits forever.</summary>
    public CancellationTokenSource Deadline(CancellationToken cancellationToken) => Deadline(cancellationToken, TimeSpan.Zero);

    /// <summary>As <see cref="Deadline(CancellationToken)"/>, for a call that may wait <paramref name="wait"/> by design (a pull).</summary>
    public CancellationTokenSource Deadline(CancellationToken cancellationToken, TimeSpan wait)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Options.RequestTimeout + wait);
        return source;
    }

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_ready)
            {
                return;
            }

            using var deadline = Deadline(cancellationToken);
            await jetStream.CreateOrUpdateStreamAsync(new StreamConfig(EventsStream, [$"{Options.Prefix}.events.>"])
            {
                Storage = StreamConfigStorage.File,
                NumReplicas = Options.Replicas,
                DuplicateWindow = Options.DuplicateWindow,
            }, deadline.Token);
            // Direct gets read dead letters by sequence without a consumer; the window drops a repeated park.
            await jetStream.CreateOrUpdateStreamAsync(new StreamConfig(DeadLetterStream, [DeadLetterSubjects])
            {
                Storage = StreamConfigStorage.File,
                NumReplicas = Options.Replicas,
                DuplicateWindow = Options.DuplicateWindow,
                AllowDirect = true,
            }, deadline.Token);
            _ready = true;
            logger.LogInformation("JetStream streams {EventsStream} and {DeadLetterStream} are ready", EventsStream, DeadLetterStream);
        }
        finally
        {
            _gate.Release();
        }
    }

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex UnsafeNameCharacters();
}
