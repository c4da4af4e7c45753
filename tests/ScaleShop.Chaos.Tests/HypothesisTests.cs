using ScaleShop.Load;

namespace ScaleShop.Chaos.Tests;

public sealed class HypothesisTests
{
    private static readonly IReadOnlySet<Phase> All = new HashSet<Phase> { Phase.Before, Phase.During, Phase.After };
    private static readonly Slo Browse = new(JourneyKind.Browse, null, 0.99, 100, All);
    private static readonly Slo CheckoutElsewhere = new(JourneyKind.Checkout, new HashSet<string> { "shard0", "shard1" }, 0.99, 500, new HashSet<Phase> { Phase.During });
    private static readonly Hypothesis Hypothesis = new([Browse, CheckoutElsewhere], new AbortPolicy(TimeSpan.FromSeconds(5), 10, 0.8, 5), new OrderInvariants(true, null));

    [Fact]
    public void An_slo_is_met_when_availability_and_p99_are_within_it()
    {
        var result = Browse.Judge(Requests(JourneyKind.Browse, null, count: 200, latencyMs: 50, failed: 1));

        Assert.True(result.Met);
        Assert.Equal(200, result.Requests);
        Assert.Equal(0.995, result.Availability, 3);
    }

    [Fact]
    public void Too_many_failures_break_an_slo()
    {
        var result = Browse.Judge(Requests(JourneyKind.Browse, null, count: 100, latencyMs: 50, failed: 2));

        Assert.False(result.Met);
        Assert.Equal(0.98, result.Availability, 3);
    }

    [Fact]
    public void A_slow_tail_breaks_an_slo_even_when_every_request_succeeds()
    {
        // 98 fast and 2 slow: the 99th percentile (nearest rank) is a slow one.
        var samples = Requests(JourneyKind.Browse, null, count: 98, latencyMs: 10, failed: 0).Concat(Requests(JourneyKind.Browse, null, count: 2, latencyMs: 900, failed: 0)).ToList();

        var result = Browse.Judge(samples);

        Assert.False(result.Met);
        Assert.Equal(900, result.P99Ms);
    }

    [Fact]
    public void Below_the_latency_minimum_an_slo_is_judged_on_availability_alone()
    {
        // Eleven fast requests and one stalled: with fewer than the minimum its "p99" is that one stall.
        var stalled = Requests(JourneyKind.Browse, null, count: 11, latencyMs: 10, failed: 0).Concat(Requests(JourneyKind.Browse, null, count: 1, latencyMs: 900, failed: 0)).ToList();

        var few = Browse.Judge(stalled, minRequestsForLatency: 20);
        var enough = Browse.Judge(stalled, minRequestsForLatency: 12);
        var failing = Browse.Judge(Requests(JourneyKind.Browse, null, count: 12, latencyMs: 10, failed: 1), minRequestsForLatency: 20);

        Assert.True(few.Met);
        Assert.False(few.LatencyJudged);
        Assert.Equal(900, few.P99Ms);
        Assert.False(enough.Met);
        Assert.True(enough.LatencyJudged);
        Assert.False(failing.Met); // availability is judged however few the requests
    }

    [Fact]
    public void No_request_is_no_evidence_and_does_not_meet_the_slo()
    {
        var result = Browse.Judge(Requests(JourneyKind.Search, null, count: 50, latencyMs: 10, failed: 0));

        Assert.False(result.Met);
        Assert.Equal(0, result.Requests);
    }

    [Fact]
    public void An_slo_scoped_to_shards_ignores_the_shoppers_of_the_broken_shard()
    {
        var samples = Requests(JourneyKind.Checkout, "shard0", count: 50, latencyMs: 80, failed: 0)
            .Concat(Requests(JourneyKind.Checkout, "shard2", count: 50, latencyMs: 5_000, failed: 50)).ToList();

        var result = CheckoutElsewhere.Judge(samples);

        Assert.True(result.Met);
        Assert.Equal(50, result.Requests);
    }

    [Fact]
    public void A_phase_judges_only_its_own_slos()
    {
        var samples = Requests(JourneyKind.Browse, null, 100, 10, 0).Concat(Requests(JourneyKind.Checkout, "shard1", 20, 10, 20)).ToList();

        Assert.Single(Hypothesis.Judge(Phase.Before, samples));
        var during = Hypothesis.Judge(Phase.During, samples);
        Assert.Equal(2, during.Count);
        Assert.False(during.Single(r => r.Slo == CheckoutElsewhere).Met);
    }

    [Fact]
    public void A_breach_far_beyond_the_objective_aborts()
    {
        var reason = Hypothesis.AbortReason(Phase.During, Requests(JourneyKind.Checkout, "shard0", count: 20, latencyMs: 10, failed: 5));

        Assert.NotNull(reason);
        Assert.Contains("checkout (users on shard0, shard1)", reason, StringComparison.Ordinal);
        Assert.Contains("availability 75.00 %", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_p99_beyond_the_abort_factor_aborts()
    {
        var reason = Hypothesis.AbortReason(Phase.Before, Requests(JourneyKind.Browse, null, count: 20, latencyMs: 501, failed: 0));

        Assert.NotNull(reason);
        Assert.Contains("p99 501 ms", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_the_objective_without_passing_the_abort_threshold_does_not_abort()
    {
        // Availability 90 % breaks the 99 % SLO but not the 80 % abort threshold; p99 of 400 ms is 4 × 100, under 5 ×.
        var samples = Requests(JourneyKind.Browse, null, count: 20, latencyMs: 400, failed: 2);

        Assert.False(Browse.Judge(samples).Met);
        Assert.Null(Hypothesis.AbortReason(Phase.Before, samples));
    }

    [Fact]
    public void Too_few_requests_in_the_window_never_abort()
    {
        Assert.Null(Hypothesis.AbortReason(Phase.Before, Requests(JourneyKind.Browse, null, count: 9, latencyMs: 10, failed: 9)));
    }

    [Theory]
    [InlineData(new double[] { 5 }, 99, 5)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 50, 2)]
    [InlineData(new double[] { 4, 3, 2, 1 }, 99, 4)]
    [InlineData(new double[] { }, 99, 0)]
    public void Percentiles_are_nearest_rank(double[] values, double percentile, double expected) =>
        Assert.Equal(expected, Slo.Percentile([.. values], percentile));

    private static List<RequestSample> Requests(JourneyKind journey, string? shard, int count, double latencyMs, int failed) =>
        Enumerable.Range(0, count).Select(i => new RequestSample(TimeSpan.FromMilliseconds(i), journey, shard, latencyMs, i < failed)).ToList();
}
