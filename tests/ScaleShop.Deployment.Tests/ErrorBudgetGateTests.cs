using ScaleShop.Deployment.Budget;
using ScaleShop.Slo;

namespace ScaleShop.Deployment.Tests;

public sealed class ErrorBudgetGateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static SliReport Sli(string name, double remaining, long requests = 10_000) =>
        new(name, 0.999, null, requests, (long)((1 - remaining) * requests * 0.001), remaining, new Dictionary<string, double>(), []);

    private static SloReport Report(IEnumerable<FiringAlert>? firing = null, params (string Journey, SliReport Sli)[] slis) =>
        new(Now, "30d", 3600, slis.GroupBy(s => s.Journey).Select(g => new JourneyReport(g.Key, g.Select(s => s.Sli).ToList())).ToList(), firing?.ToList() ?? []);

    [Fact]
    public void Healthy_budgets_let_the_rollout_proceed()
    {
        var verdict = ErrorBudgetGate.Check([Report(null, ("checkout", Sli("availability", 0.8)), ("browse", Sli("latency", 0.6)))], 0.25);
        Assert.True(verdict.MayProceed);
        Assert.Empty(verdict.Exhausted);
        Assert.Contains("lowest browse/latency at 60%", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spent_budget_blocks_and_names_the_SLI_once_however_many_instances_report_it()
    {
        var instance = Report(null, ("checkout", Sli("availability", 0.1)), ("checkout", Sli("latency", 0.9)), ("browse", Sli("latency", -0.5)));
        var verdict = ErrorBudgetGate.Check([instance, instance], 0.25);
        Assert.False(verdict.MayProceed);
        Assert.Equal(["checkout/availability", "browse/latency"], verdict.Exhausted);
        Assert.StartsWith("blocked: checkout/availability has 10% of its budget left (< 25%)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_the_minimum_is_enough()
    {
        Assert.True(ErrorBudgetGate.Check([Report(null, ("cart", Sli("availability", 0.25)))], 0.25).MayProceed);
    }

    [Fact]
    public void A_firing_page_alert_blocks_even_with_budget_left_and_a_ticket_does_not()
    {
        var page = new FiringAlert("search", "availability", "fast-burn", "page", 20, 30);
        var ticket = new FiringAlert("cart", "latency", "budget-drain", "ticket", 1.5, 2);
        var verdict = ErrorBudgetGate.Check([Report([page, ticket], ("search", Sli("availability", 0.9)), ("cart", Sli("latency", 0.9)))], 0.25);
        Assert.False(verdict.MayProceed);
        Assert.Equal(["search/availability"], verdict.Exhausted);
        Assert.Contains("page alert fast-burn firing on search/availability", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_without_traffic_do_not_block()
    {
        var idle = Report(null, ("checkout", Sli("availability", -3, requests: 0)));
        Assert.True(ErrorBudgetGate.Check([idle], 0.25).MayProceed);
        Assert.True(ErrorBudgetGate.Check([], 0.25).MayProceed);
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorBudgetGate.Check([], double.NaN));
    }

    [Fact]
    public void An_outage_seen_by_the_real_evaluator_with_the_repository_objectives_blocks()
    {
        var objectives = SloObjectives.Load(Path.Combine(AppContext.BaseDirectory, "objectives.json"));
        var windows = new JourneyWindows(objectives, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), Now);
        var at = Now;
        for (var second = 0; second < 3600; second++, at = at.AddSeconds(1))
        {
            windows.Record("checkout", error: second >= 3300, elapsedMs: 20, at); // the last five minutes fail
            windows.Record("browse", error: false, elapsedMs: 20, at);
        }

        var verdict = ErrorBudgetGate.Check([SloEvaluator.Evaluate(objectives, windows, at)], 0.25);
        Assert.False(verdict.MayProceed);
        Assert.Equal(["checkout/availability"], verdict.Exhausted);
        Assert.Contains("page alert fast-burn firing on checkout/availability", verdict.Reason, StringComparison.Ordinal);
    }
}
