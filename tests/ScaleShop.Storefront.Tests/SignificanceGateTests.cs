using ScaleShop.Storefront.Anomalies;

namespace ScaleShop.Storefront.Tests;

/// <summary>The step between the detector and an incident: surprising, large enough to matter, harmful, and still there next interval.</summary>
public sealed class SignificanceGateTests
{
    private const string Latency = "dependency.payments.p99_ms";

    [Fact]
    public void A_persistent_slowdown_is_confirmed_on_its_second_interval()
    {
        var gate = Learnt(Latency, 6);
        Assert.False(gate.Confirm(Latency, 406, surprising: true)); // seen once: pending
        Assert.True(gate.Confirm(Latency, 410, surprising: false)); // still there: a signal
    }

    [Fact]
    public void A_one_interval_blip_is_never_a_signal()
    {
        var gate = Learnt(Latency, 6);
        Assert.False(gate.Confirm(Latency, 406, surprising: true));
        Assert.False(gate.Confirm(Latency, 7, surprising: false));
        Assert.False(gate.Confirm(Latency, 6, surprising: false));
    }

    [Fact]
    public void A_surprising_change_too_small_to_matter_is_not_a_signal()
    {
        var gate = Learnt(Latency, 2);
        Assert.False(gate.Confirm(Latency, 40, surprising: true)); // 20x, but 38 ms: under the absolute floor
        Assert.False(gate.Confirm(Latency, 40, surprising: true));
    }

    [Theory]
    [InlineData("dependency.cache.hit_ratio", 0.5, 0.95)] // a warmer cache
    [InlineData("journey.checkout.error_ratio", 0.2, 0.0)] // fewer errors
    [InlineData("dependency.db.shard0.p99_ms", 500, 5)] // faster
    public void A_change_for_the_better_is_not_a_signal(string series, double usual, double better)
    {
        var gate = Learnt(series, usual);
        Assert.False(gate.Confirm(series, better, surprising: true));
        Assert.False(gate.Confirm(series, better, surprising: true));
    }

    [Theory]
    [InlineData("dependency.cache.hit_ratio", 0.9, 0.3)]
    [InlineData("journey.checkout.error_ratio", 0.0, 0.5)]
    [InlineData("journey.browse.rate", 50, 5)] // traffic collapsing matters too
    public void A_change_for_the_worse_is(string series, double usual, double worse)
    {
        var gate = Learnt(series, usual);
        Assert.False(gate.Confirm(series, worse, surprising: true));
        Assert.True(gate.Confirm(series, worse, surprising: false));
    }

    [Fact]
    public void A_rate_that_stalls_then_catches_up_is_not_a_change_that_persists()
    {
        const string rate = "journey.checkout.rate";
        var gate = Learnt(rate, 3);

        Assert.False(gate.Confirm(rate, 0, surprising: true));  // a paused interval: down, pending
        Assert.False(gate.Confirm(rate, 15, surprising: true)); // the queued requests at once: up, not the same change
        Assert.False(gate.Confirm(rate, 3, surprising: false)); // back to usual
        Assert.False(gate.Confirm(rate, 0, surprising: true));  // a real stop: down ...
        Assert.True(gate.Confirm(rate, 0, surprising: false));  // ... and still down
    }

    private static SignificanceGate Learnt(string series, double usual)
    {
        var gate = new SignificanceGate(new SignificanceOptions());
        for (var i = 0; i < 50; i++)
        {
            Assert.False(gate.Confirm(series, usual, surprising: false));
        }

        return gate;
    }
}
