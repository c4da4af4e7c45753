using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using ScaleShop.Gateway.Destinations;

namespace ScaleShop.Gateway;

/// <summary>The gateway's settings (section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Where clients reach the storefront through the gateway. Unset: the host's <c>urls</c> setting
    /// (<c>ASPNETCORE_URLS</c>, <c>--urls</c>), else <see cref="DefaultPublicUrl"/>.
    /// </summary>
    public string? PublicUrl { get; set; }

    public const string DefaultPublicUrl = "http://127.0.0.1:5000";

    /// <summary>The admin listener (its own port, explicit and not 0): the destinations API answers only there.</summary>
    [Required]
    public string AdminUrl { get; set; } = "http://127.0.0.1:5010";

    /// <summary>The bearer key of the admin API (<c>Authorization: Bearer …</c>). Required; at least 16 characters.</summary>
    [Required]
    [MinLength(16)]
    public string AdminKey { get; set; } = "";

    /// <summary>How often each destination's readiness is probed (YARP's active health check).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan ActiveHealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one probe may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ActiveHealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The path probed on every destination (the storefront's readiness probe).</summary>
    [Required]
    [RegularExpression("^/.*")]
    public string ActiveHealthCheckPath { get; set; } = "/health/ready";

    /// <summary>Consecutive failed probes before a destination is taken out (YARP's ConsecutiveFailures policy).</summary>
    [Range(1, 100)]
    public int ActiveHealthCheckFailureThreshold { get; set; } = 2;

    /// <summary>Consecutive transport failures (refused, reset, vanished) of proxied requests before a destination is taken out.</summary>
    [Range(1, 100)]
    public int PassiveHealthFailureThreshold { get; set; } = 1;

    /// <summary>How long a destination taken out by failed requests stays out before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PassiveHealthReactivationPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Which destinations the balancer may use: <c>HealthyOrPanic</c> (healthy and unknown ones, all of them when
    /// none is healthy: a broken probe cannot empty the shop) or <c>HealthyAndUnknown</c> (never an unhealthy one).
    /// </summary>
    [AllowedValues("HealthyOrPanic", "HealthyAndUnknown")]
    public string AvailableDestinationsPolicy { get; set; } = "HealthyOrPanic";

    /// <summary>Attempts per client request, the first one included (1: never retry).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Largest request body buffered so that the request can be retried; a larger (or unsized) body is sent once.</summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MaxRetryBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a proxied request may make no progress (no bytes either way) before it fails with 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RequestActivityTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Destinations known at start (<c>Gateway:Destinations:{id}:Address|Version|Weight</c>); the admin API changes the set later.</summary>
    public Dictionary<string, DestinationOptions> Destinations { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One destination given in configuration.</summary>
public sealed class DestinationOptions
{
    public string? Address { get; set; }

    public string? Version { get; set; }

    public int? Weight { get; set; }
}

[OptionsValidator]
public sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;

/// <summary>What DataAnnotations cannot say: the admin URL's port, and each configured destination (the admin API's rules).</summary>
public sealed class GatewayOptionsRulesValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.AdminUrl, UriKind.Absolute, out var admin) || admin.Scheme is not ("http" or "https") || admin.Port == 0)
        {
            failures.Add($"{nameof(GatewayOptions.AdminUrl)} must be an absolute http(s) URL with a port other than 0, e.g. http://127.0.0.1:5010.");
        }

        if (options.PublicUrl is { } publicUrl && !Uri.TryCreate(publicUrl.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out _))
        {
            failures.Add($"{nameof(GatewayOptions.PublicUrl)} must be an absolute http(s) URL.");
        }

        foreach (var (id, destination) in options.Destinations)
        {
            var errors = DestinationRules.Validate(id, destination.Address, destination.Version, destination.Weight);
            failures.AddRange(errors.Select(error => $"Destinations:{id}:{error.Key}: {string.Join(" ", error.Value)}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
