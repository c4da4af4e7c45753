namespace ScaleShop.Load;

/// <summary>
/// How many journeys start per second at each moment of a run: the open model's arrival rate. Arrivals do
/// not wait for earlier journeys to finish, so a service that falls behind shows it as queueing.
/// </summary>
public abstract record ArrivalSchedule
{
    public abstract string Name { get; }

    public abstract TimeSpan Duration { get; }

    /// <summary>Journeys per second at <paramref name="elapsed"/> since the start.</summary>
    public abstract double RateAt(TimeSpan elapsed);

    /// <summary>
    /// Windows the run is judged in: one per step of a ramp (to find the highest rate that still meets the
    /// objectives), the spike and its recovery, or the whole run.
    /// </summary>
    public abstract IReadOnlyList<ScheduleWindow> Windows { get; }

    public abstract string Describe();
}

/// <summary>A stretch of the run judged on its own; a warm-up window is reported but not judged.</summary>
public sealed record ScheduleWindow(string Name, TimeSpan Start, TimeSpan End, double Rate, bool Judged = true);

/// <summary>
/// <see cref="Inner"/> preceded by <see cref="WarmUp"/> at its first rate, reported but not judged: a cold
/// start (JIT, empty caches and connection pools, every session signing in at once) is not the steady state.
/// </summary>
public sealed record WarmedUpSchedule(ArrivalSchedule Inner, TimeSpan WarmUp) : ArrivalSchedule
{
    public override string Name => Inner.Name;

    public override TimeSpan Duration => WarmUp + Inner.Duration;

    public override double RateAt(TimeSpan elapsed) => elapsed < WarmUp ? Inner.RateAt(TimeSpan.Zero) : Inner.RateAt(elapsed - WarmUp);

    public override IReadOnlyList<ScheduleWindow> Windows =>
        WarmUp <= TimeSpan.Zero
            ? Inner.Windows
            : [new ScheduleWindow("warm-up", TimeSpan.Zero, WarmUp, Inner.RateAt(TimeSpan.Zero), Judged: false),
               .. Inner.Windows.Select(w => w with { Start = w.Start + WarmUp, End = w.End + WarmUp })];

    public override string Describe() => FormattableString.Invariant($"{Inner.Describe()}, after {WarmUp.TotalSeconds:0} s of warm-up");
}

/// <summary>A constant rate (also the soak: the same, for long).</summary>
public sealed record SteadySchedule(double Rate, TimeSpan Length, bool IsSoak = false) : ArrivalSchedule
{
    public override string Name => IsSoak ? "soak" : "steady";

    public override TimeSpan Duration => Length;

    public override double RateAt(TimeSpan elapsed) => Rate;

    public override IReadOnlyList<ScheduleWindow> Windows => [new(Name, TimeSpan.Zero, Length, Rate)];

    public override string Describe() => FormattableString.Invariant($"{Name}: {Rate:0.#} journeys/s for {Length.TotalSeconds:0} s");
}

/// <summary>Steps from <see cref="From"/> to <see cref="To"/>, each held for <see cref="StepLength"/>: the knee is the last step that meets the objectives.</summary>
public sealed record RampSchedule(double From, double To, int Steps, TimeSpan StepLength) : ArrivalSchedule
{
    public override string Name => "ramp";

    public override TimeSpan Duration => StepLength * Steps;

    public double StepRate(int step) => Steps == 1 ? From : From + ((To - From) * step / (Steps - 1));

    public override double RateAt(TimeSpan elapsed) => StepRate(Math.Clamp((int)(elapsed / StepLength), 0, Steps - 1));

    public override IReadOnlyList<ScheduleWindow> Windows =>
        Enumerable.Range(0, Steps).Select(step => new ScheduleWindow(
            FormattableString.Invariant($"step {step + 1}: {StepRate(step):0.#}/s"), StepLength * step, StepLength * (step + 1), StepRate(step))).ToList();

    public override string Describe() =>
        FormattableString.Invariant($"ramp: {From:0.#} to {To:0.#} journeys/s in {Steps} steps of {StepLength.TotalSeconds:0} s");
}

/// <summary><see cref="Base"/> rate, <see cref="Peak"/> for <see cref="SpikeLength"/> starting at <see cref="SpikeAt"/>, then the base again (recovery).</summary>
public sealed record SpikeSchedule(double Base, double Peak, TimeSpan SpikeAt, TimeSpan SpikeLength, TimeSpan Length) : ArrivalSchedule
{
    public override string Name => "spike";

    public override TimeSpan Duration => Length;

    public override double RateAt(TimeSpan elapsed) => elapsed >= SpikeAt && elapsed < SpikeAt + SpikeLength ? Peak : Base;

    public override IReadOnlyList<ScheduleWindow> Windows =>
    [
        new("before", TimeSpan.Zero, SpikeAt, Base),
        new("spike", SpikeAt, SpikeAt + SpikeLength, Peak),
        new("after", SpikeAt + SpikeLength, Length, Base),
    ];

    public override string Describe() =>
        FormattableString.Invariant($"spike: {Base:0.#} journeys/s, {Peak:0.#}/s for {SpikeLength.TotalSeconds:0} s at {SpikeAt.TotalSeconds:0} s, {Length.TotalSeconds:0} s in all");
}
