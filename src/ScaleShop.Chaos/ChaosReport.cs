using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleShop.Chaos;

/// <summary>Writes an experiment's result to a folder: <c>report.md</c> for people, <c>summary.json</c> for tests and later comparison.</summary>
public static class ChaosReport
{
    public static void Write(string directory, ExperimentResult result)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.md"), Markdown(result));
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(Summary.Of(result), ChaosReportJsonContext.Default.Summary));
    }

    public static string Markdown(ExperimentResult result)
    {
        var experiment = result.Experiment;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Chaos experiment: {experiment.Name}{(result.Short ? " (short version)" : "")}");
        Line($"");
        Line($"{experiment.Description}");
        Line($"");
        Line($"**{(result.Passed ? "PASSED" : "FAILED")}** — started {result.StartedAt:u} against {result.StorefrontUrl}; faults: {string.Join("; ", experiment.Faults.Select(f => f.Describe()))}; load {experiment.Load.Rate:0.#} journeys/s ({experiment.Load.Mix}).");
        Line($"");
        if (result.Failures.Count > 0)
        {
            Line($"## What failed");
            Line($"");
            foreach (var failure in result.Failures)
            {
                Line($"- {failure}");
            }

            Line($"");
        }

        Line($"## Steady-state hypothesis, per phase");
        Line($"");
        Line($"| phase | SLO | requests | failed | availability | objective | p99 ms | budget ms | met |");
        Line($"|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var phase in result.Phases)
        {
            foreach (var slo in phase.Slos)
            {
                Line($"| {Name(phase.Phase)} | {slo.Slo.Name} | {slo.Requests} | {slo.Failed} | {slo.Availability:P2} | {slo.Slo.Availability:P1} | {(slo.LatencyJudged ? $"{slo.P99Ms:F0}" : $"{slo.P99Ms:F0} (too few to judge)")} | {slo.Slo.P99Ms:F0} | {(slo.Met ? "yes" : "**no**")} |");
            }
        }

        Line($"");
        Line($"## Requests per journey and phase");
        Line($"");
        Line($"| phase | seconds | journey | shoppers on | requests | failed | p50 ms | p99 ms |");
        Line($"|---|---:|---|---|---:|---:|---:|---:|");
        foreach (var phase in result.Phases)
        {
            foreach (var journey in phase.Journeys)
            {
                Line($"| {Name(phase.Phase)} | {(phase.End - phase.Start).TotalSeconds:F0} | {journey.Journey.ToString().ToLowerInvariant()} | {journey.Shard ?? "all"} | {journey.Requests} | {journey.Failed} | {journey.P50Ms:F0} | {journey.P99Ms:F0} |");
            }
        }

        Line($"");
        Line($"## Circuit breakers");
        Line($"");
        if (result.Breakers.Count == 0)
        {
            Line($"No breaker changed state{(result.FailedResiliencePolls > 0 ? $" ({result.FailedResiliencePolls} polls unanswered)" : "")}.");
        }
        else
        {
            Line($"| at s | phase | dependency | from | to |");
            Line($"|---:|---|---|---|---|");
            foreach (var transition in result.Breakers)
            {
                Line($"| {transition.At.TotalSeconds:F1} | {Name(transition.Phase)} | {transition.Dependency} | {transition.From} | {transition.To} |");
            }

            if (result.FailedResiliencePolls > 0)
            {
                Line($"");
                Line($"{result.FailedResiliencePolls} polls of /api/v1/admin/resilience were unanswered within a second.");
            }
        }

        var orders = result.Orders;
        Line($"");
        Line($"## Orders");
        Line($"");
        Line($"{orders.Acknowledged} acknowledged ({orders.Confirmed201} confirmed at once, 201; {orders.Pending202} accepted pending payment, 202); {orders.Found} found afterwards by their owners; {orders.Lost.Count} lost. Status at the end: {string.Join(", ", orders.StatusesAtEnd.Select(s => $"{s.Key} {s.Value}"))}.");
        if (orders.PendingAtEnd > 0)
        {
            Line($"{orders.PendingAtEnd} were pending after the rollback; {(orders.SettledInSeconds is { } settled ? $"all settled {settled:F0} s later" : "not all settled within the bound")}.");
        }

        foreach (var lost in orders.Lost.Take(20))
        {
            Line($"- lost: {lost}");
        }

        if (result.Drill is { } drill)
        {
            Line($"");
            Line($"## Runbook drill: {drill.Runbook}");
            Line($"");
            Line($"{(drill.Recovered ? $"Verified {drill.RecoveredAfter!.Value.TotalSeconds:F1} s after its actions ({drill.VerificationAttempts} attempts)." : $"NOT verified ({drill.VerificationAttempts} attempts).")} {drill.Rotten.Count} rotten steps.");
            Line($"");
            Line($"| Line | Section | Exit | Seconds |");
            Line($"|---:|---|---:|---:|");
            foreach (var step in drill.Steps)
            {
                Line($"| {step.Block.Line} | {step.Block.Section} | {(step.ExitCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "timeout")} | {step.Took.TotalSeconds:F1} |");
            }

            foreach (var rotten in drill.Rotten)
            {
                Line($"- rotten: {rotten}");
            }
        }

        Line($"");
        Line($"## Timeline");
        Line($"");
        foreach (var e in result.Timeline)
        {
            Line($"- {e.At.TotalSeconds:F1} s ({Name(e.Phase)}): {e.What}");
        }

        return text.ToString();
    }

    private static string Name(Phase phase) => phase switch
    {
        Phase.WarmUp => "warm-up",
        _ => phase.ToString().ToLowerInvariant(),
    };

    /// <summary>The machine-readable result.</summary>
    public sealed record Summary(
        string Experiment, bool Short, bool Passed, string? Aborted, IReadOnlyList<string> Failures, DateTimeOffset StartedAt,
        IReadOnlyList<PhaseSummary> Phases, IReadOnlyList<BreakerSummary> Breakers, OrderSummary Orders, DrillSummary? Drill)
    {
        public static Summary Of(ExperimentResult result) => new(
            result.Experiment.Name, result.Short, result.Passed, result.Aborted, result.Failures, result.StartedAt,
            result.Phases.Select(p => new PhaseSummary(Name(p.Phase), Math.Round((p.End - p.Start).TotalSeconds, 1),
                p.Journeys.Select(j => new JourneySummary(j.Journey.ToString().ToLowerInvariant(), j.Shard, j.Requests, j.Failed, Ms(j.P50Ms), Ms(j.P99Ms))).ToList(),
                p.Slos.Select(s => new SloSummary(s.Slo.Name, s.Requests, s.Failed, Math.Round(s.Availability, 5), s.Slo.Availability, Ms(s.P99Ms), s.Slo.P99Ms, s.Met, s.LatencyJudged)).ToList())).ToList(),
            result.Breakers.Select(b => new BreakerSummary(Math.Round(b.At.TotalSeconds, 1), Name(b.Phase), b.Dependency, b.From, b.To)).ToList(),
            new OrderSummary(result.Orders.Acknowledged, result.Orders.Confirmed201, result.Orders.Pending202, result.Orders.Found, result.Orders.Lost.Count,
                result.Orders.StatusesAtEnd, result.Orders.PendingAtEnd, result.Orders.SettledInSeconds),
            result.Drill is { } drill
                ? new DrillSummary(drill.Runbook, drill.Steps.Count, drill.Rotten.Count, drill.Recovered,
                    drill.RecoveredAfter is { } after ? Math.Round(after.TotalSeconds, 1) : null, drill.VerificationAttempts)
                : null);
    }

    public sealed record DrillSummary(string Runbook, int Steps, int Rotten, bool Recovered, double? RecoveredAfterSeconds, int VerificationAttempts);

    // A tenth of a millisecond is finer than anything these runs can tell apart.
    private static double Ms(double milliseconds) => Math.Round(milliseconds, 1);

    public sealed record PhaseSummary(string Phase, double Seconds, IReadOnlyList<JourneySummary> Journeys, IReadOnlyList<SloSummary> Slos);

    public sealed record JourneySummary(string Journey, string? Shard, long Requests, long Failed, double P50Ms, double P99Ms);

    public sealed record SloSummary(string Slo, long Requests, long Failed, double Availability, double AvailabilityObjective, double P99Ms, double P99BudgetMs, bool Met, bool LatencyJudged);

    public sealed record BreakerSummary(double AtSeconds, string Phase, string Dependency, string From, string To);

    public sealed record OrderSummary(int Acknowledged, int Confirmed201, int Pending202, int Found, int Lost, IReadOnlyDictionary<string, int> StatusesAtEnd, int PendingAtEnd, double? SettledInSeconds);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ChaosReport.Summary))]
internal sealed partial class ChaosReportJsonContext : JsonSerializerContext;
