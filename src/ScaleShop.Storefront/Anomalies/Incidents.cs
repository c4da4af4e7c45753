namespace ScaleShop.Storefront.Anomalies;

/// <summary>Where a signal came from: the detector on a metric series, or a burning SLO.</summary>
public static class SignalKinds
{
    public const string Anomaly = "anomaly";
    public const string SloPage = "slo-page";
    public const string SloTicket = "slo-ticket";
}

public static class IncidentStatuses
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
}

/// <summary>
/// Severity from the SLO impact: sev1 when checkout's budget burns fast enough to page (money is being lost),
/// sev2 when another journey's does, sev3 when series look wrong but no objective is burning yet.
/// </summary>
public static class IncidentSeverities
{
    public const string Sev1 = "sev1";
    public const string Sev2 = "sev2";
    public const string Sev3 = "sev3";

    public static string Of(IEnumerable<AnomalySignal> signals)
    {
        var pages = signals.Where(s => s.Kind == SignalKinds.SloPage).ToList();
        return pages.Any(s => s.Component == SeriesNames.JourneyComponent(Observability.Journeys.Checkout)) ? Sev1 : pages.Count > 0 ? Sev2 : Sev3;
    }

    /// <summary>The graver of two (sev1 is the gravest): severity only escalates while an incident is active.</summary>
    public static string Graver(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? a : b;
}

/// <summary>One series that went anomalous (or one SLO alert that fired), at a time, with the value and score that made it so.</summary>
public sealed record AnomalySignal(string Series, string Component, string Kind, DateTimeOffset At, double Value, double Score)
{
    /// <summary>Journeys are symptoms; dependencies, shards, the cache and the bus are candidate causes.</summary>
    public bool IsCause => !SeriesNames.IsJourney(Component);
}

public sealed record Incident(long Id, string Component, string Team, string Severity, string Status, string Title, string Runbook,
    DateTimeOffset OpenedAt, DateTimeOffset LastSignalAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy,
    DateTimeOffset? ResolvedAt, string? ResolvedBy, int Version, int NotifiedVersion, IReadOnlyList<AnomalySignal> Signals);

/// <summary>Series names: <c>journey.checkout.p99_ms</c>, <c>dependency.payments.p99_ms</c>; the component is the part before the last dot.</summary>
public static class SeriesNames
{
    private const string JourneyPrefix = "journey.";

    public static string JourneyComponent(string journey) => JourneyPrefix + journey;

    public static string Journey(string journey, string measure) => $"{JourneyPrefix}{journey}.{measure}";

    public static string Dependency(string dependency, string measure) => $"dependency.{dependency}.{measure}";

    public static bool IsJourney(string component) => component.StartsWith(JourneyPrefix, StringComparison.Ordinal);

    /// <summary>The component a series belongs to: <c>journey.checkout</c>, or the dependency's name (<c>payments</c>, <c>db.shard2</c>).</summary>
    public static string ComponentOf(string series)
    {
        var component = series[..series.LastIndexOf('.')];
        const string dependencyPrefix = "dependency.";
        return component.StartsWith(dependencyPrefix, StringComparison.Ordinal) ? component[dependencyPrefix.Length..] : component;
    }
}
