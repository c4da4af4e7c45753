using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Time.Testing;
using ScaleShop.Deployment.Autoscaling;

namespace ScaleShop.Deployment.Tests;

public sealed class AutoscalerTests
{
    // HPA's sync period: how often a controller asks.
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private static AutoscaleOptions Options(Action<AutoscaleOptions>? change = null)
    {
        var options = new AutoscaleOptions
        {
            MinInstances = 2, MaxInstances = 10, TargetPerInstance = 400, Tolerance = 0.1, MaxScaleUpStep = 2, MaxScaleUpPercent = 0,
            ScaleDownStabilization = TimeSpan.FromMinutes(5), ScaleDownCooldown = TimeSpan.FromMinutes(3),
        };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public void Load_over_the_target_scales_up_to_total_over_target_and_says_why()
    {
        var decision = new Autoscaler(Options(), _time).Recommend(3, 1830);
        Assert.Equal(new ScaleDecision(3, 5, decision.Reason), decision);
        Assert.StartsWith("observed 1830 req/s over 3 = 610 per instance vs target 400 (ratio 1.53) → 5", decision.Reason, StringComparison.Ordinal);
        Assert.EndsWith("scale up 3 → 5", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scale_up_is_limited_to_the_step()
    {
        var decision = new Autoscaler(Options(), _time).Recommend(2, 3900);
        Assert.Equal(4, decision.Desired);
        Assert.Contains("capped at 4", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_doubling_rule_a_large_fleet_grows_by_its_own_size()
    {
        var autoscaler = new Autoscaler(Options(o => { o.MaxScaleUpPercent = 100; o.MaxInstances = 50; }), _time);
        Assert.Equal(12, autoscaler.Recommend(6, 8000).Desired); // +2 or ×2: the larger
        Assert.Equal(3, autoscaler.Recommend(1, 8000).Desired); // a small fleet still gets its step
    }

    [Theory]
    [InlineData(1700, 4)] // 425 per instance: 6% over, inside the band
    [InlineData(1480, 4)] // 370: 7.5% under
    [InlineData(1780, 5)] // 445: 11% over, ⌈4.45⌉
    public void Within_the_tolerance_nothing_changes(double observed, int expected)
    {
        Assert.Equal(expected, new Autoscaler(Options(), _time).Recommend(4, observed).Desired);
    }

    [Fact]
    public void The_fleet_stays_between_min_and_max()
    {
        var autoscaler = new Autoscaler(Options(o => o.ScaleDownStabilization = TimeSpan.Zero), _time);
        Assert.Equal(2, autoscaler.Recommend(3, 0).Desired);
        Assert.Equal(10, autoscaler.Recommend(9, 100_000).Desired);
        Assert.Equal(10, autoscaler.Recommend(12, 100_000).Desired); // max lowered below the fleet
        var raised = autoscaler.Recommend(1, 50);
        Assert.Equal(2, raised.Desired);
        Assert.Contains("raised to the minimum 2", raised.Reason, StringComparison.Ordinal);
        Assert.Equal(2, autoscaler.Recommend(0, 0).Desired); // nothing ready: back to the floor
    }

    [Fact]
    public void A_scale_down_waits_for_the_stabilisation_window()
    {
        var autoscaler = new Autoscaler(Options(), _time);
        Assert.Equal(6, autoscaler.Recommend(6, 2400).Desired);
        var start = _time.GetUtcNow();
        ScaleDecision decision;
        do
        {
            _time.Advance(Period);
            decision = autoscaler.Recommend(6, 800);
        }
        while (decision.Desired == 6 && _time.GetUtcNow() - start < TimeSpan.FromMinutes(10));

        Assert.Equal(2, decision.Desired);
        Assert.Equal(TimeSpan.FromMinutes(5), _time.GetUtcNow() - start); // the first decision with the 6 out of the window
    }

    [Fact]
    public void After_a_change_no_scale_down_until_the_cooldown_ends_but_scale_up_goes_on()
    {
        var autoscaler = new Autoscaler(Options(o => o.ScaleDownStabilization = TimeSpan.Zero), _time);
        Assert.Equal(6, autoscaler.Recommend(4, 2400).Desired);
        autoscaler.ScaledTo(6);

        _time.Advance(TimeSpan.FromMinutes(1));
        var held = autoscaler.Recommend(6, 800);
        Assert.Equal(6, held.Desired);
        Assert.Contains("cooldown", held.Reason, StringComparison.Ordinal);
        Assert.Equal(8, autoscaler.Recommend(6, 3200).Desired);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, autoscaler.Recommend(6, 800).Desired);
    }

    [Fact]
    public void Flapping_load_does_not_flap_the_fleet()
    {
        Assert.True(Changes(Options()) <= 1);
        // The same load without the window and the cooldown: the test would catch a scaler that flaps.
        Assert.True(Changes(Options(o => { o.ScaleDownStabilization = TimeSpan.Zero; o.ScaleDownCooldown = TimeSpan.Zero; })) > 20);

        int Changes(AutoscaleOptions options)
        {
            var autoscaler = new Autoscaler(options, _time);
            var (instances, changes) = (2, 0);
            for (var step = 0; step < 120; step++) // 30 minutes, the load swinging between 300 and 1000 req/s every 30 s
            {
                var decision = autoscaler.Recommend(instances, step / 2 % 2 == 0 ? 1000 : 300);
                if (decision.Desired != instances)
                {
                    instances = decision.Desired;
                    autoscaler.ScaledTo(instances);
                    changes++;
                }

                _time.Advance(Period);
            }

            return changes;
        }
    }

    [Fact]
    public void A_scale_up_window_ignores_a_short_spike()
    {
        var autoscaler = new Autoscaler(Options(o => o.ScaleUpStabilization = TimeSpan.FromMinutes(1)), _time);
        Assert.Equal(3, autoscaler.Recommend(3, 1200).Desired);
        _time.Advance(Period);
        Assert.Equal(3, autoscaler.Recommend(3, 2000).Desired); // the lowest of the last minute is still 3
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(5, autoscaler.Recommend(3, 2000).Desired);
    }

    [Fact]
    public void Bad_options_and_inputs_are_refused()
    {
        Assert.Throws<ValidationException>(() => new Autoscaler(Options(o => o.MinInstances = 11), _time));
        Assert.Throws<ValidationException>(() => new Autoscaler(Options(o => o.Tolerance = 2), _time));
        var autoscaler = new Autoscaler(Options(), _time);
        Assert.Throws<ArgumentOutOfRangeException>(() => autoscaler.Recommend(3, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => autoscaler.Recommend(-1, 10));
    }
}
