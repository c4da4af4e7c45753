using System.Globalization;
using System.Text;

namespace ScaleShop.Slo;

/// <summary>
/// The objectives as Prometheus rules: recording rules for each SLI's bad-request ratio over every alert
/// window, summed over all instances, and the multi-window burn-rate alerts on them. The fleet's view,
/// where each storefront's <c>/api/ops/slo</c> is its own instance's.
/// </summary>
public static class PrometheusRules
{
    /// <summary>The journey histogram as the OpenTelemetry Prometheus exporter names it (unit "s" → _seconds).</summary>
    public const string DurationMetric = "scaleshop_journey_duration_seconds";
    public const string ErrorRatioRecord = "scaleshop:journey_errors:ratio_rate";
    public const string SlowRatioRecord = "scaleshop:journey_slow:ratio_rate";
    public const string AlertName = "ScaleShopErrorBudgetBurn";

    public static string Generate(SloObjectives objectives, string source)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"# Generated from {source} by `dotnet run --project src/ScaleShop.Cli -- slo rules`; do not edit by hand.");
        yaml.AppendLine("# A test (PrometheusRulesTests) fails when this file and the objectives disagree; CI checks it with promtool.");
        yaml.AppendLine("groups:");
        yaml.AppendLine("  - name: scaleshop-slo-ratios");
        yaml.AppendLine("    rules:");
        foreach (var window in objectives.Windows)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      - record: {ErrorRatioRecord}{window}");
            yaml.AppendLine("        expr: >-");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"          sum by (journey) (rate({DurationMetric}_count{{outcome=\"error\"}}[{window}]))");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"          / sum by (journey) (rate({DurationMetric}_count[{window}]))");
            foreach (var journey in objectives.Journeys)
            {
                // Each journey has its own threshold, hence its own bucket: one rule per journey, one record name.
                var selector = $"journey=\"{journey.Journey}\"";
                yaml.AppendLine(CultureInfo.InvariantCulture, $"      - record: {SlowRatioRecord}{window}");
                yaml.AppendLine("        expr: >-");
                yaml.AppendLine(CultureInfo.InvariantCulture, $"          1 - sum by (journey) (rate({DurationMetric}_bucket{{{selector},le=\"{Le(journey.Latency.ThresholdMs)}\"}}[{window}]))");
                yaml.AppendLine(CultureInfo.InvariantCulture, $"          / sum by (journey) (rate({DurationMetric}_count{{{selector}}}[{window}]))");
                yaml.AppendLine("        labels:");
                yaml.AppendLine(CultureInfo.InvariantCulture, $"          journey: {journey.Journey}");
            }
        }

        yaml.AppendLine("  - name: scaleshop-slo-alerts");
        yaml.AppendLine("    rules:");
        foreach (var journey in objectives.Journeys)
        {
            foreach (var (sli, record, objective) in new[]
            {
                (SloObjectives.AvailabilitySli, ErrorRatioRecord, journey.Availability),
                (SloObjectives.LatencySli, SlowRatioRecord, journey.Latency.Objective),
            })
            {
                foreach (var alert in objectives.Alerts)
                {
                    var limit = Number(alert.Factor * (1 - objective));
                    var selector = $"{{journey=\"{journey.Journey}\"}}";
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"      - alert: {AlertName}");
                    yaml.AppendLine("        expr: >-");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          {record}{alert.LongWindow}{selector} > {limit}");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          and {record}{alert.ShortWindow}{selector} > {limit}");
                    if (objectives.MinimumRequests > 1)
                    {
                        yaml.AppendLine(CultureInfo.InvariantCulture,
                            $"          and on (journey) sum by (journey) (increase({DurationMetric}_count{selector}[{alert.ShortWindow}])) >= {objectives.MinimumRequests}");
                    }

                    yaml.AppendLine("        labels:");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          severity: {alert.Severity}");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          journey: {journey.Journey}");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          sli: {sli}");
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"          burn: {alert.Name}");
                    yaml.AppendLine("        annotations:");
                    var what = sli == SloObjectives.LatencySli
                        ? $"{Number(journey.Latency.Objective * 100)}% within {Number(journey.Latency.ThresholdMs)} ms"
                        : $"{Number(objective * 100)}% succeed";
                    yaml.AppendLine(CultureInfo.InvariantCulture,
                        $"          summary: \"{journey.Journey} {sli} ({what}) burns its error budget over {Number(alert.Factor)}x too fast over {alert.LongWindow} and {alert.ShortWindow}\"");
                    if (objectives.Runbook is { } runbook)
                    {
                        // The path from the repository root: what the on-call engineer opens (docs/runbooks/README.md is the index).
                        yaml.AppendLine(CultureInfo.InvariantCulture, $"          runbook_url: \"{runbook}\"");
                    }
                }
            }
        }

        return yaml.ToString();
    }

    /// <summary>A histogram boundary as the exporter writes its le label (seconds, shortest round-trip form).</summary>
    public static string Le(double milliseconds) => Number(milliseconds / 1000);

    private static string Number(double value) => Math.Round(value, 10).ToString("R", CultureInfo.InvariantCulture);
}
