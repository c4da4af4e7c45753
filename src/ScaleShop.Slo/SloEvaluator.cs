namespace ScaleShop.Slo;

/// <summary>One alert on one SLI: its burn rates now and whether both windows are over its factor.</summary>
public sealed record AlertState(string Name, string Severity, double Factor, string LongWindow, string ShortWindow, double BurnRateLong, double BurnRateShort, bool Firing);

/// <summary>
/// One SLI of a journey: its objective, the requests and bad requests over the budget window, the share of the
/// error budget left there (negative when overspent), burn rates per window and its alerts.
/// </summary>
public sealed record SliReport(string Sli, double Objective, double? ThresholdMs, long Requests, long Bad, double BudgetRemaining,
    IReadOnlyDictionary<string, double> BurnRates, IReadOnlyList<AlertState> Alerts);

public sealed record JourneyReport(string Journey, IReadOnlyList<SliReport> Slis);

public sealed record FiringAlert(string Journey, string Sli, string Alert, string Severity, double BurnRateLong, double BurnRateShort);

/// <summary>
/// What the objectives look like now. The budget window is the budget period, or as much of it as this process
/// has seen (an instance knows its own traffic since it started; the fleet's 30 days are Prometheus' to keep).
/// </summary>
public sealed record SloReport(DateTimeOffset EvaluatedAt, string BudgetPeriod, double BudgetWindowSeconds, IReadOnlyList<JourneyReport> Journeys, IReadOnlyList<FiringAlert> Firing);

/// <summary>
/// Burn rates and multi-window alerts (Google SRE workbook, "Alerting on SLOs"): burn rate = the bad share of
/// requests in a window ÷ the share the objective allows (1 − objective). A burn rate of 1 spends exactly the
/// budget over the budget period; an alert with factor F fires when both its windows burn faster than F.
/// </summary>
public static class SloEvaluator
{
    public static SloReport Evaluate(SloObjectives objectives, JourneyWindows windows, DateTimeOffset now)
    {
        var observed = now - windows.Start;
        var budgetWindow = TimeSpan.FromTicks(Math.Max(windows.BucketWidth.Ticks, Math.Min(objectives.BudgetPeriod.Length.Ticks,
            Math.Min(objectives.LongestWindow.Ticks, observed.Ticks))));
        var journeys = new List<JourneyReport>();
        var firing = new List<FiringAlert>();
        foreach (var journey in objectives.Journeys)
        {
            var sums = objectives.Windows.Append(new SloWindow("budget", budgetWindow))
                .DistinctBy(w => w.Length).ToDictionary(w => w.Length, w => windows.Sum(journey.Journey, w.Length, now));
            var slis = new[]
            {
                Sli(SloObjectives.AvailabilitySli, journey.Availability, null, counts => counts.Errors),
                Sli(SloObjectives.LatencySli, journey.Latency.Objective, journey.Latency.ThresholdMs, counts => counts.Slow),
            };
            journeys.Add(new JourneyReport(journey.Journey, slis));
            firing.AddRange(slis.SelectMany(sli => sli.Alerts.Where(a => a.Firing)
                .Select(a => new FiringAlert(journey.Journey, sli.Sli, a.Name, a.Severity, a.BurnRateLong, a.BurnRateShort))));

            SliReport Sli(string name, double objective, double? thresholdMs, Func<SliCounts, long> bad)
            {
                double Burn(TimeSpan window) => BurnRate(sums[window].Requests, bad(sums[window]), objective);
                var budget = sums[budgetWindow];
                var alerts = objectives.Alerts.Select(alert =>
                {
                    var (longBurn, shortBurn) = (Burn(alert.LongWindow.Length), Burn(alert.ShortWindow.Length));
                    var enough = sums[alert.ShortWindow.Length].Requests >= objectives.MinimumRequests;
                    return new AlertState(alert.Name, alert.Severity, alert.Factor, alert.LongWindow.Text, alert.ShortWindow.Text,
                        longBurn, shortBurn, enough && longBurn > alert.Factor && shortBurn > alert.Factor);
                }).ToList();
                return new SliReport(name, objective, thresholdMs, budget.Requests, bad(budget), 1 - BurnRate(budget.Requests, bad(budget), objective),
                    objectives.Windows.ToDictionary(w => w.Text, w => Burn(w.Length), StringComparer.Ordinal), alerts);
            }
        }

        return new SloReport(now, objectives.BudgetPeriod.Text, budgetWindow.TotalSeconds, journeys, firing);
    }

    /// <summary>How many times faster than allowed the budget burns; 0 without requests.</summary>
    public static double BurnRate(long requests, long bad, double objective) => requests == 0 ? 0 : (double)bad / requests / (1 - objective);
}
