using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Messaging;

/// <summary>The outbox, the bus and its consumers (section <c>Messaging</c>).</summary>
public sealed class MessagingOptions : IValidatableObject
{
    public const string SectionName = "Messaging";
    public const string InProcess = "InProcess";
    public const string NatsProvider = "Nats";

    /// <summary><c>InProcess</c> (embedded defaults: consumers run inside the publishing call) or <c>Nats</c> (JetStream).</summary>
    [Required]
    public string Provider { get; set; } = InProcess;

    /// <summary>How often the dispatcher looks at an idle outbox; a commit that writes an event wakes it at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00")]
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(1, 10_000)]
    public int DispatchBatchSize { get; set; } = 256;

    /// <summary>First wait after a failed dispatch; doubling, with jitter, up to <see cref="DispatchMaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan DispatchBaseBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan DispatchMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a batch a consumer failed (exponential backoff with jitter) before the poison event is looked for.</summary>
    [Range(0, 20)]
    public int ConsumerMaxRetries { get; set; } = 4;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:30")]
    public TimeSpan ConsumerRetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long consumers remember an applied event id; redelivery later than this is not expected.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan ProcessedEventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A publish (a batch; in-process: applying it) longer than this fails and is retried by the dispatcher.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bulkhead: publishes in flight at once on this instance (the dispatcher publishes one batch per database at a
    /// time). One past this and <see cref="BusMaxQueuedPublishes"/> is refused at once, as if the bus were down: its
    /// events wait in the outbox and the dispatcher tries again after its backoff.
    /// </summary>
    [Range(1, 10_000)]
    public int BusMaxConcurrentPublishes { get; set; } = 16;

    /// <summary>Publishes that may wait for a bulkhead slot (oldest first) before more are refused.</summary>
    [Range(0, 100_000)]
    public int BusMaxQueuedPublishes { get; set; } = 64;

    [Range(0.01, 1.0)]
    public double BusBreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 100_000)]
    public int BusBreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BusBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>While open, the dispatcher's publishes fail at once; events wait in the outboxes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BusBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProcessedEventPurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>In-process bus: first wait before events deferred for an unavailable consumer are tried again; later waits double.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan DeferredRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan DeferredRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    [ValidateObjectMembers]
    public NatsMessagingOptions Nats { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider is not (InProcess or NatsProvider))
        {
            yield return new ValidationResult($"Messaging:Provider must be {InProcess} or {NatsProvider}.", [nameof(Provider)]);
        }

        if (DispatchMaxBackoff < DispatchBaseBackoff)
        {
            yield return new ValidationResult("Messaging:DispatchMaxBackoff must be at least DispatchBaseBackoff.", [nameof(DispatchMaxBackoff)]);
        }

        if (Nats.RedeliveryMaxDelay < Nats.RedeliveryBaseDelay)
        {
            yield return new ValidationResult("Messaging:Nats:RedeliveryMaxDelay must be at least RedeliveryBaseDelay.", [nameof(Nats)]);
        }
    }
}

/// <summary>JetStream settings (section <c>Messaging:Nats</c>); the server's address is <c>ConnectionStrings:nats</c>.</summary>
public sealed class NatsMessagingOptions
{
    /// <summary>Prefix of stream names and subjects, so several shops (or test runs) can share one server.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]{1,32}$")]
    public string Prefix { get; set; } = "scaleshop";

    /// <summary>How long a delivered, unacknowledged event waits before JetStream delivers it again (a consumer died).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 10_000)]
    public int FetchBatchSize { get; set; } = 256;

    /// <summary>Window in which JetStream drops a second publish of the same event id (outbox re-publishes after a crash).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Copies JetStream keeps of each stream (1 for a single server; 3 on a three-server cluster, so losing one
    /// server loses no event). At most the cluster's size: JetStream refuses a stream it cannot place.
    /// </summary>
    [Range(1, 5)]
    public int Replicas { get; set; } = 1;

    /// <summary>Bound on every call to the server (publish acks, stream and consumer management, direct gets).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one pull waits for events on an idle stream; short, so reconnects are noticed quickly (the client takes 1 s at least).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan FetchExpiry { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// First wait after a consumer's dependency was down (the batch is redelivered no sooner) or the server could
    /// not be reached; doubling, with jitter, up to <see cref="RedeliveryMaxDelay"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RedeliveryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RedeliveryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
public sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;
