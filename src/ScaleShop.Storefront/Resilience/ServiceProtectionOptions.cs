using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Resilience;

/// <summary>How the storefront protects itself from its clients (section <c>Protection</c>).</summary>
public sealed class ServiceProtectionOptions : IValidatableObject
{
    public const string SectionName = "Protection";

    /// <summary>Per-client token buckets (429 + Retry-After past them).</summary>
    public bool RateLimitingEnabled { get; set; } = true;

    /// <summary>Sustained requests per second of one signed-in user (partition: the token's subject).</summary>
    [Range(1, 1_000_000)]
    public int UserRequestsPerSecond { get; set; } = 50;

    /// <summary>Requests one signed-in user may send at once above the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int UserBurst { get; set; } = 100;

    /// <summary>Sustained requests per second from one anonymous client address (browsing is mostly anonymous and cached).</summary>
    [Range(1, 1_000_000)]
    public int AnonymousRequestsPerSecond { get; set; } = 200;

    [Range(1, 1_000_000)]
    public int AnonymousBurst { get; set; } = 400;

    /// <summary>Requests this instance works on at once; above it, requests are shed by priority (503 + Retry-After).</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>Low-priority requests (recommendations) are admitted only while fewer than this share of the limit is in use: shed first.</summary>
    [Range(0.01, 1.0)]
    public double LowPriorityShare { get; set; } = 0.5;

    /// <summary>Normal requests (browse, search, cart, history) are admitted up to this share; checkout may use the rest: shed last.</summary>
    [Range(0.01, 1.0)]
    public double NormalPriorityShare { get; set; } = 0.85;

    /// <summary>What a shed or rate-limited client is told to wait before retrying.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A request running longer than this is cancelled (its RequestAborted token fires) and answered 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Networks (CIDR) whose <c>X-Forwarded-For</c> is believed: the gateway's and load balancers' addresses, so
    /// that the anonymous rate limit counts each client, not each gateway. Loopback is always trusted (the local
    /// cluster's gateway); anyone else's header is ignored, or a client could choose its own bucket.
    /// </summary>
    public List<string> TrustedProxyNetworks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var network in TrustedProxyNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                yield return new ValidationResult($"Protection:TrustedProxyNetworks: '{network}' is not a network in CIDR notation (10.0.0.0/8).",
                    [nameof(TrustedProxyNetworks)]);
            }
        }

        if (LowPriorityShare > NormalPriorityShare)
        {
            yield return new ValidationResult("Protection:LowPriorityShare must not exceed Protection:NormalPriorityShare: low-priority work is shed first.",
                [nameof(LowPriorityShare)]);
        }
    }
}

[OptionsValidator]
public sealed partial class ServiceProtectionOptionsValidator : IValidateOptions<ServiceProtectionOptions>;
