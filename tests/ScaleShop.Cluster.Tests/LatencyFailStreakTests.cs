using ScaleShop.Cluster.Rollouts;

namespace ScaleShop.Cluster.Tests;

/// <summary>
/// The canary analysis' rule for latency: one Fail on latency alone waits for the next verdict, so a single slow burst
/// does not roll a good release back; a slow release, which fails every verdict, is rolled back one interval later.
/// (The slow-version test in <see cref="ZeroDowntimeTests"/> covers the second half end to end.)
/// </summary>
public sealed class LatencyFailStreakTests
{
    [Fact]
    public void A_lone_latency_fail_between_passes_never_decides()
    {
        var streak = new LatencyFailStreak(needed: 2);

        foreach (var failsOnLatency in new[] { true, false, true, false, true, false })
        {
            Assert.Equal(failsOnLatency, streak.Defers(failsOnLatency));
        }

        Assert.Equal(0, streak.InARow);
    }

    [Fact]
    public void A_latency_fail_that_repeats_decides_on_the_verdict_that_completes_the_streak()
    {
        var streak = new LatencyFailStreak(needed: 3);

        Assert.True(streak.Defers(true));
        Assert.True(streak.Defers(true));
        Assert.False(streak.Defers(true));
        Assert.Equal(3, streak.InARow);
    }

    [Fact]
    public void Any_other_verdict_decides_at_once_and_with_one_needed_so_does_a_latency_fail()
    {
        Assert.False(new LatencyFailStreak(needed: 2).Defers(false));
        Assert.False(new LatencyFailStreak(needed: 1).Defers(true));
    }
}
