using System.Globalization;
using ScaleShop.Slo;

namespace ScaleShop.Deployment.Budget;

/// <summary>Whether a rollout may go on; <see cref="Exhausted"/> names each blocking SLI as <c>journey/sli</c>.</summary>
public sealed record BudgetVerdict(bool MayProceed, string Reason, IReadOnlyList<string> Exhausted);

/// <summary>
/// The error-budget policy of the SRE workbook: while a journey's budget is spent, or a page-severity burn-rate
/// alert says it is being spent fast, no change ships (only fixes, which an operator pushes past the gate). The
/// reports are the storefront instances' <c>GET /api/ops/slo</c>, one a instance.
/// </summary>
public static class ErrorBudgetGate
{
    /// <summary>The severity of the alerts that wake someone up (load/objectives.json); "ticket" alerts do not block.</summary>
    public const string PageSeverity = "page";

    /// <param name="minimumBudgetRemaining">The share of each SLI's budget that must be left (e.g. 0.25); at most 1, may be negative to tolerate overspending.</param>
    public static BudgetVerdict Check(IEnumerable<SloReport> reports, double minimumBudgetRemaining)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (double.IsNaN(minimumBudgetRemaining) || minimumBudgetRemaining > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumBudgetRemaining), minimumBudgetRemaining, "The share of the budget to keep is at most 1.");
        }

        var blocked = new List<string>();
        var reasons = new List<string>();
        var causes = new HashSet<string>(StringComparer.Ordinal);
        (string Name, double Remaining)? lowest = null;
        var judged = 0;
        foreach (var report in reports)
        {
            ArgumentNullException.ThrowIfNull(report);

            // An instance that served nothing has no budget to judge by (one just started, or out of rotation).
            if (!report.Journeys.SelectMany(j => j.Slis).Any(s => s.Requests > 0))
            {
                continue;
            }

            judged++;
            foreach (var journey in report.Journeys)
            {
                foreach (var sli in journey.Slis.Where(s => s.Requests > 0))
                {
                    var name = $"{journey.Journey}/{sli.Sli}";
                    if (lowest is null || sli.BudgetRemaining < lowest.Value.Remaining)
                    {
                        lowest = (name, sli.BudgetRemaining);
                    }

                    if (sli.BudgetRemaining < minimumBudgetRemaining && Block(name, "budget"))
                    {
                        reasons.Add($"{name} has {Percent(sli.BudgetRemaining)} of its budget left (< {Percent(minimumBudgetRemaining)})");
                    }
                }
            }

            foreach (var alert in report.Firing.Where(a => string.Equals(a.Severity, PageSeverity, StringComparison.OrdinalIgnoreCase)))
            {
                var name = $"{alert.Journey}/{alert.Sli}";
                if (Block(name, alert.Alert))
                {
                    reasons.Add($"page alert {alert.Alert} firing on {name} (burn {alert.BurnRateLong:0.#}x / {alert.BurnRateShort:0.#}x)");
                }
            }
        }

        if (blocked.Count > 0)
        {
            return new BudgetVerdict(false, "blocked: " + string.Join("; ", reasons), blocked);
        }

        var reason = lowest is { } low
            ? $"may proceed: every SLI of {judged} report(s) keeps at least {Percent(minimumBudgetRemaining)} of its budget (lowest {low.Name} at {Percent(low.Remaining)}) and no page alert fires"
            : "may proceed: no report has traffic to judge";
        return new BudgetVerdict(true, reason, []);

        // Each SLI is listed once however many instances report it, and each cause of blocking it is told once.
        bool Block(string name, string cause)
        {
            if (!blocked.Contains(name, StringComparer.Ordinal))
            {
                blocked.Add(name);
            }

            return causes.Add($"{name} {cause}");
        }
    }

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
