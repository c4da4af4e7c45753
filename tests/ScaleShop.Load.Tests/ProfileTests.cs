namespace ScaleShop.Load.Tests;

public sealed class ProfileTests
{
    [Fact]
    public void A_mix_is_parsed_normalised_and_picks_by_share()
    {
        var mix = JourneyMix.Parse("browse=70, search=20, cart=8, checkout=2");
        Assert.Equal(JourneyMix.Default, mix);
        Assert.Equal(JourneyKind.Browse, mix.Pick(0.0));
        Assert.Equal(JourneyKind.Search, mix.Pick(0.75));
        Assert.Equal(JourneyKind.Cart, mix.Pick(0.95));
        Assert.Equal(JourneyKind.Checkout, mix.Pick(0.999));

        var halves = JourneyMix.Parse("search=1,checkout=1");
        Assert.Equal(new JourneyMix(0, 0.5, 0, 0.5), halves);
    }

    [Theory]
    [InlineData("browse")]
    [InlineData("browse=x")]
    [InlineData("shopping=10")]
    [InlineData("browse=0")]
    [InlineData("browse=-1")]
    public void A_bad_mix_names_the_problem(string text) => Assert.Throws<FormatException>(() => JourneyMix.Parse(text));

    [Fact]
    public void A_ramp_steps_evenly_and_each_step_is_a_window()
    {
        var ramp = new RampSchedule(100, 500, 5, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(50), ramp.Duration);
        Assert.Equal([100, 200, 300, 400, 500], ramp.Windows.Select(w => w.Rate));
        Assert.Equal(300, ramp.RateAt(TimeSpan.FromSeconds(25)));
        Assert.Equal(500, ramp.RateAt(TimeSpan.FromSeconds(49.9)));
    }

    [Fact]
    public void A_spike_has_before_spike_and_after_windows()
    {
        var spike = new SpikeSchedule(50, 400, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
        Assert.Equal(["before", "spike", "after"], spike.Windows.Select(w => w.Name));
        Assert.Equal(400, spike.RateAt(TimeSpan.FromSeconds(22)));
        Assert.Equal(50, spike.RateAt(TimeSpan.FromSeconds(26)));
    }

    [Fact]
    public void Load_is_refused_for_any_address_but_this_machine()
    {
        Assert.Throws<ArgumentException>(() => LoopbackOnly.Check(new Uri("http://10.1.2.3:5000")));
        Assert.Throws<ArgumentException>(() => LoopbackOnly.Check(new Uri("http://example.com")));
        LoopbackOnly.Check(new Uri("http://127.0.0.1:5000"));
        LoopbackOnly.Check(new Uri("http://localhost:5000"));
        LoopbackOnly.Check(new Uri("http://[::1]:5000"));
    }

    [Fact]
    public void A_warm_up_runs_at_the_first_rate_and_is_not_judged()
    {
        var warmed = new WarmedUpSchedule(new RampSchedule(100, 300, 3, TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(35), warmed.Duration);
        Assert.Equal(100, warmed.RateAt(TimeSpan.FromSeconds(2)));
        Assert.Equal(300, warmed.RateAt(TimeSpan.FromSeconds(30)));
        Assert.Equal([false, true, true, true], warmed.Windows.Select(w => w.Judged));
        Assert.Equal(TimeSpan.FromSeconds(15), warmed.Windows[2].Start);
    }
}
