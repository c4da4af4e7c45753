using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>Anomaly detection, incidents and their notification (section <c>Anomalies</c>).</summary>
public sealed class AnomaliesOptions
{
    public const string SectionName = "Anomalies";

    /// <summary>Sample and score this instance's series. Incidents and their API work either way (another instance may open them).</summary>
    public bool DetectionEnabled { get; set; } = true;

    /// <summary>How often every series is sampled and scored: one point per series per interval.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Points a series' detector learns from before it may alert (the likelihood's learning period): at the
    /// default 10 s interval, the detector's default of 200 is about 33 minutes after an instance starts.
    /// </summary>
    [Range(10, 100_000)]
    public int DetectorLearningPoints { get; set; } = ScaleShop.Anomalies.Detection.DetectorOptions.Default.Likelihood.LearningPoints;

    /// <summary>
    /// Requests a journey needs in an interval for its error ratio and p99 to be a point: a p99 of three requests
    /// is noise, and a detector fed noise pages on it.
    /// </summary>
    [Range(1, 100_000)]
    public int MinimumRequestsPerPoint { get; set; } = 5;

    /// <summary>How large a change must be to become a signal, per kind of series.</summary>
    public SignificanceOptions Significance { get; set; } = new();

    /// <summary>Signals this close to an active incident's last one join it, as one fault seen through many series.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan GroupWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// An incident with no new signal for this long is resolved by the system: the fault is over, and an incident
    /// left open would keep refusing chaos and swallow the next, unrelated fault. Operators resolve sooner.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "7.00:00:00")]
    public TimeSpan AutoResolveAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Component → team → webhooks and runbook; relative to the binary's folder, where the build copies ops/ownership.json.</summary>
    [Required]
    public string OwnershipPath { get; set; } = "ownership.json";

    /// <summary>Each team's webhook secret (base64, 32 bytes or more). A team without one gets a secret generated in the data folder.</summary>
    public Dictionary<string, string> WebhookSecrets { get; set; } = [];

    /// <summary>How often an instance looks for incidents whose team has not been told of their latest change.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan NotificationPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First wait after a failed delivery; doubled (with jitter) on each further failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan NotificationRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan NotificationMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deliveries of one change before it is given up (and logged as an error for a human to follow up).</summary>
    [Range(1, 1_000)]
    public int NotificationMaxAttempts { get; set; } = 20;

    /// <summary>Incidents claimed for delivery are left to this instance for this long, then another may try.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan NotificationClaim { get; set; } = TimeSpan.FromSeconds(30);

    public string ResolvedOwnershipPath => Path.IsPathRooted(OwnershipPath) ? OwnershipPath : Path.Combine(AppContext.BaseDirectory, OwnershipPath);
}

[OptionsValidator]
public sealed partial class AnomaliesOptionsAttributesValidator : IValidateOptions<AnomaliesOptions>;

/// <summary>The attributes, the ownership file and the configured secrets: an incident must always find its team.</summary>
public sealed class AnomaliesOptionsValidator : IValidateOptions<AnomaliesOptions>
{
    private const int MinimumSecretBytes = 32;

    public ValidateOptionsResult Validate(string? name, AnomaliesOptions options)
    {
        var attributes = new AnomaliesOptionsAttributesValidator().Validate(name, options);
        if (attributes.Failed)
        {
            return attributes;
        }

        try
        {
            var ownership = Ownership.Load(options.ResolvedOwnershipPath);
            foreach (var (team, secret) in options.WebhookSecrets)
            {
                if (!ownership.Teams.ContainsKey(team))
                {
                    return ValidateOptionsResult.Fail($"{AnomaliesOptions.SectionName}:{nameof(AnomaliesOptions.WebhookSecrets)}:{team}: no such team in the ownership file.");
                }

                if (!IsLongEnough(secret))
                {
                    return ValidateOptionsResult.Fail($"{AnomaliesOptions.SectionName}:{nameof(AnomaliesOptions.WebhookSecrets)}:{team}: base64 of at least {MinimumSecretBytes} bytes.");
                }
            }

            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return ValidateOptionsResult.Fail($"{AnomaliesOptions.SectionName}:{nameof(AnomaliesOptions.OwnershipPath)}: {e.Message}");
        }
    }

    private static bool IsLongEnough(string secret)
    {
        var buffer = new byte[secret.Length];
        return Convert.TryFromBase64String(secret, buffer, out var written) && written >= MinimumSecretBytes;
    }
}
