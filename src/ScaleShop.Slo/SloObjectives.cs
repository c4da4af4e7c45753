using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ScaleShop.Slo;

/// <summary>A latency objective: this share of requests answered within the threshold.</summary>
public sealed record LatencyObjective(double ThresholdMs, double Objective);

/// <summary>One journey's objectives: the share of requests that must succeed, and how fast.</summary>
public sealed record JourneySlo(string Journey, double Availability, LatencyObjective Latency);

/// <summary>
/// A window written the way Prometheus writes it ("5m", "6h", "3d"), so the rule files and the in-process
/// evaluation read the same text.
/// </summary>
public sealed partial record SloWindow(string Text, TimeSpan Length)
{
    public static SloWindow Parse(string text, string field)
    {
        var match = WindowPattern().Match(text);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            throw new InvalidDataException($"{field}: '{text}' is not a window; write a positive whole number and s, m, h or d (\"5m\", \"6h\").");
        }

        var length = match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
        return new SloWindow(text, length);
    }

    public override string ToString() => Text;

    [GeneratedRegex("^([0-9]+)(s|m|h|d)$")]
    private static partial Regex WindowPattern();
}

/// <summary>
/// A multi-window burn-rate alert (Google SRE workbook, chapter 5): it fires when the error budget burns
/// <see cref="Factor"/> times faster than the budget period allows, over both the long window (enough budget is
/// really being spent) and the short one (it is still being spent now, so the alert resets soon after a fix).
/// </summary>
public sealed record BurnRateAlert(string Name, string Severity, double Factor, SloWindow LongWindow, SloWindow ShortWindow);

/// <summary>
/// The service level objectives of every journey and the alerts on them, read from one JSON file
/// (<c>load/objectives.json</c>): the storefront computes budgets and alerts from them, the CLI writes the
/// Prometheus rules from them, and the load generator judges its runs by them. <see cref="MinimumRequests"/>: an
/// alert fires only when its short window holds at least this many requests, so one slow request in a quiet
/// minute is not a page (the workbook's caveat for low-traffic services).
/// </summary>
public sealed partial record SloObjectives(IReadOnlyList<JourneySlo> Journeys, IReadOnlyList<BurnRateAlert> Alerts, SloWindow BudgetPeriod, int MinimumRequests = 1, string? Runbook = null)
{
    public const string AvailabilitySli = "availability";
    public const string LatencySli = "latency";

    public static SloObjectives Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Reads and checks the file; a mistake is reported with the path of the field that holds it.</summary>
    public static SloObjectives Parse(string json, string source)
    {
        ObjectivesFile file;
        try
        {
            file = JsonSerializer.Deserialize(json, SloJsonContext.Default.ObjectivesFile) ?? throw new InvalidDataException($"{source} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Path}: {e.Message}", e);
        }

        if (file.Journeys is not { Count: > 0 })
        {
            throw new InvalidDataException($"{source}: journeys: give at least one journey.");
        }

        var journeys = new List<JourneySlo>();
        foreach (var (name, journey) in file.Journeys)
        {
            var field = $"{source}: journeys.{name}";
            if (!JourneyName().IsMatch(name))
            {
                throw new InvalidDataException($"{field}: a journey's name is lower-case letters, digits and '-'.");
            }

            var availability = journey.Availability ?? throw new InvalidDataException($"{field}.availability is required.");
            RequireShare(availability, $"{field}.availability");
            var latency = journey.Latency ?? throw new InvalidDataException($"{field}.latency is required.");
            RequireShare(latency.Objective ?? -1, $"{field}.latency.objective");
            if (latency.ThresholdMs is not > 0)
            {
                throw new InvalidDataException($"{field}.latency.thresholdMs must be above 0.");
            }

            journeys.Add(new JourneySlo(name, availability, new LatencyObjective(latency.ThresholdMs.Value, latency.Objective!.Value)));
        }

        var alerts = new List<BurnRateAlert>();
        for (var i = 0; i < (file.Alerts?.Count ?? 0); i++)
        {
            var alert = file.Alerts![i];
            var field = $"{source}: alerts[{i}]";
            if (string.IsNullOrWhiteSpace(alert.Name) || !JourneyName().IsMatch(alert.Name))
            {
                throw new InvalidDataException($"{field}.name is required: lower-case letters, digits and '-'.");
            }

            if (alert.Severity is not ("page" or "ticket"))
            {
                throw new InvalidDataException($"{field}.severity must be 'page' or 'ticket'.");
            }

            if (alert.Factor is not > 0)
            {
                throw new InvalidDataException($"{field}.factor must be above 0.");
            }

            var longWindow = SloWindow.Parse(alert.LongWindow ?? "", $"{field}.longWindow");
            var shortWindow = SloWindow.Parse(alert.ShortWindow ?? "", $"{field}.shortWindow");
            if (shortWindow.Length >= longWindow.Length)
            {
                throw new InvalidDataException($"{field}.shortWindow must be shorter than longWindow.");
            }

            alerts.Add(new BurnRateAlert(alert.Name, alert.Severity, alert.Factor.Value, longWindow, shortWindow));
        }

        if (alerts.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count() != alerts.Count)
        {
            throw new InvalidDataException($"{source}: alerts: two alerts have the same name.");
        }

        if (file.MinimumRequests is < 1)
        {
            throw new InvalidDataException($"{source}: minimumRequests must be at least 1.");
        }

        if (file.Runbook is { } runbook && !runbook.EndsWith(".md", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: runbook must name a Markdown runbook (docs/runbooks/….md), not '{runbook}'.");
        }

        return new SloObjectives(journeys, alerts, SloWindow.Parse(file.BudgetPeriod ?? "30d", $"{source}: budgetPeriod"), file.MinimumRequests ?? 1, file.Runbook);
    }

    public JourneySlo? Find(string journey) => Journeys.FirstOrDefault(j => j.Journey == journey);

    /// <summary>Every window an alert looks at, shortest first: the windows burn rates are reported for.</summary>
    public IReadOnlyList<SloWindow> Windows => Alerts.SelectMany(a => new[] { a.ShortWindow, a.LongWindow })
        .DistinctBy(w => w.Length).OrderBy(w => w.Length).ToList();

    /// <summary>The longest window an alert looks at: how much history the evaluation must keep.</summary>
    public TimeSpan LongestWindow => Alerts.Count == 0 ? TimeSpan.FromHours(1) : Alerts.Max(a => a.LongWindow.Length);

    private static void RequireShare(double value, string field)
    {
        if (value is <= 0 or >= 1)
        {
            throw new InvalidDataException($"{field} must be a share between 0 and 1 (0.999 for 99.9%), not 0 or 1.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex JourneyName();
}

internal sealed record ObjectivesFile(Dictionary<string, JourneyFile>? Journeys, List<AlertFile>? Alerts, string? BudgetPeriod, int? MinimumRequests, string? Runbook);

internal sealed record JourneyFile(double? Availability, LatencyFile? Latency);

internal sealed record LatencyFile(double? ThresholdMs, double? Objective);

internal sealed record AlertFile(string? Name, string? Severity, double? Factor, string? LongWindow, string? ShortWindow);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ObjectivesFile))]
internal sealed partial class SloJsonContext : JsonSerializerContext;
