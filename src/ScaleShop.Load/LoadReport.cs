using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleShop.Load;

/// <summary>
/// Writes a run to a folder: <c>report.md</c> (for people), <c>summary.json</c> (for the capacity command and
/// later runs), <c>timeseries.csv</c> (one row per second and journey), and the charts.
/// </summary>
public static class LoadReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Write(string directory, LoadRun run, Verdict? verdict)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.md"), Markdown(run, verdict));
        File.WriteAllText(Path.Combine(directory, "summary.json"), SerializeSummary(Summary.Of(run, verdict)));
        File.WriteAllText(Path.Combine(directory, "timeseries.csv"), TimeSeries(run));
        LoadCharts.Write(directory, run);
    }

    public static string SerializeSummary(Summary summary) => JsonSerializer.Serialize(summary, LoadReportJsonContext.Default.Summary);

    public static string Markdown(LoadRun run, Verdict? verdict)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant, $"# Load run: {run.Scenario}");
        text.AppendLine();
        text.AppendLine(Invariant, $"- Target: {run.BaseUrl}");
        text.AppendLine(Invariant, $"- Started: {run.StartedAt:u}, ran {run.Elapsed.TotalSeconds:F1} s");
        text.AppendLine(Invariant, $"- Schedule: {run.ScheduleDescription}; mix: {run.Mix}");
        text.AppendLine(Invariant, $"- Journeys started: {run.JourneysStarted:N0}, dropped by the generator: {run.JourneysDropped:N0}");
        text.AppendLine(Invariant, $"- Requests: {run.Requests:N0} ({run.RequestsPerSecond:F1}/s)");
        text.AppendLine(Invariant, $"- Generator: {run.GeneratorCpu.TotalSeconds:F1} s CPU, {run.GeneratorMicrosecondsPerRequest:F0} µs per request; p99 lateness of its own step starts {run.GeneratorStartLagP99Ms:F1} ms");
        if (verdict is not null)
        {
            text.AppendLine(Invariant, $"- Objectives: **{(verdict.Met ? "met" : "NOT met")}**{(verdict.KneeRate is { } knee && run.Scenario == "ramp" ? $"; highest rate meeting them (knee): {knee:0.#} journeys/s" : "")}");
        }

        text.AppendLine();
        text.AppendLine("## Latency by journey (whole run, ms; measured from when each request was due)");
        text.AppendLine();
        text.AppendLine("| Journey | Requests | p50 | p90 | p99 | p99.9 | max | Errors | Error rate |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var journey in run.Totals.Where(j => j.Latency.Count + j.Errors > 0))
        {
            var l = journey.Latency;
            text.AppendLine(Invariant, $"| {journey.Journey} | {l.Count:N0} | {l.P50:F1} | {l.P90:F1} | {l.P99:F1} | {l.P999:F1} | {l.Max:F1} | {journey.Errors:N0} | {journey.ErrorRate:P2} |");
        }

        if (verdict is not null)
        {
            text.AppendLine();
            text.AppendLine("## Objectives by window");
            text.AppendLine();
            text.AppendLine("| Window | Rate (journeys/s) | Requests/s | Journey | p99 (ms) | objective | Error rate | objective | Met |");
            text.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---|");
            foreach (var window in verdict.Windows)
            {
                foreach (var journey in window.Journeys)
                {
                    text.AppendLine(Invariant,
                        $"| {window.Window.Window.Name} | {window.Window.Window.Rate:0.#} | {window.Window.RequestsPerSecond:F0} | {journey.Journey} | {journey.P99Ms:F1} | {journey.Objective.P99Ms:0.#} | {journey.ErrorRate:P2} | {journey.Objective.MaxErrorRate:P2} | {(journey.Met ? "yes" : "**no**")} |");
                }
            }
        }

        text.AppendLine();
        text.AppendLine("## Errors by kind");
        text.AppendLine();
        if (run.ErrorsByKind.Count == 0)
        {
            text.AppendLine("None.");
        }
        else
        {
            foreach (var (kind, count) in run.ErrorsByKind.OrderByDescending(e => e.Value))
            {
                text.AppendLine(Invariant, $"- {kind}: {count:N0}{(run.FirstErrors.TryGetValue(kind, out var first) ? $" (first: `{first.ReplaceLineEndings(" ")}`)" : "")}");
            }
        }

        text.AppendLine();
        text.AppendLine("![Throughput](throughput.png)");
        text.AppendLine();
        text.AppendLine("![Latency](latency.png)");
        return text.ToString();
    }

    private static string TimeSeries(LoadRun run)
    {
        var csv = new StringBuilder("seconds,journey,target_journeys_per_s,requests,errors,p50_ms,p99_ms,max_ms,in_flight\n");
        foreach (var s in run.Samples)
        {
            csv.AppendLine(Invariant, $"{s.At.TotalSeconds:F1},{s.Journey},{s.TargetRate:F1},{s.Requests},{s.Errors},{s.Latency.P50:F2},{s.Latency.P99:F2},{s.Latency.Max:F2},{s.InFlight}");
        }

        return csv.ToString();
    }

    /// <summary>The machine-readable result (<c>summary.json</c>).</summary>
    public sealed record Summary(
        string Scenario, string Schedule, string BaseUrl, DateTimeOffset StartedAt, double Seconds, long Requests, double RequestsPerSecond,
        long JourneysStarted, long JourneysDropped, double GeneratorMicrosecondsPerRequest, bool? ObjectivesMet, double? KneeJourneysPerSecond,
        IReadOnlyList<JourneySummary> Journeys, IReadOnlyList<WindowSummary> Windows, IReadOnlyDictionary<string, long> ErrorsByKind)
    {
        public static Summary Of(LoadRun run, Verdict? verdict) => new(
            run.Scenario, run.ScheduleDescription, run.BaseUrl, run.StartedAt, run.Elapsed.TotalSeconds, run.Requests, run.RequestsPerSecond,
            run.JourneysStarted, run.JourneysDropped, run.GeneratorMicrosecondsPerRequest, verdict?.Met, verdict?.KneeRate,
            run.Totals.Select(JourneySummary.Of).ToList(),
            run.Windows.Select(w => new WindowSummary(w.Window.Name, w.Window.Rate, w.RequestsPerSecond,
                verdict?.Windows.FirstOrDefault(v => v.Window == w)?.Met, w.Journeys.Select(JourneySummary.Of).ToList())).ToList(),
            run.ErrorsByKind);
    }

    public sealed record JourneySummary(string Journey, long Requests, long Errors, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
    {
        public static JourneySummary Of(JourneyFigures f) =>
            new(f.Journey.ToString().ToLowerInvariant(), f.Latency.Count, f.Errors, f.Latency.P50, f.Latency.P90, f.Latency.P99, f.Latency.P999, f.Latency.Max);
    }

    public sealed record WindowSummary(string Name, double JourneysPerSecond, double RequestsPerSecond, bool? ObjectivesMet, IReadOnlyList<JourneySummary> Journeys);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(LoadReport.Summary))]
internal sealed partial class LoadReportJsonContext : JsonSerializerContext;
