using ScaleShop.Load;

namespace ScaleShop.Chaos;

/// <summary>Where and how to run an experiment.</summary>
/// <param name="Drill">When set, the experiment's runbook is run while the fault is in place, in place of the rollback.</param>
public sealed record RunSettings(
    Uri StorefrontUrl, string AdminEmail, string AdminPassword, string TopologyScript, IReadOnlyDictionary<string, string> Variables, bool Short,
    Runbooks.DrillSettings? Drill = null);

/// <summary>
/// Runs one experiment against a running system: load starts and warms up; the steady state is checked
/// (before); the faults are injected; the hypothesis is checked while they last (during); they are rolled
/// back; it is checked again (after); then the invariants on orders. Every second the SLOs of the current phase
/// are checked over a sliding window, and a breach beyond the abort thresholds rolls back at once and fails the
/// run. The rollback also runs when anything else goes wrong, including Ctrl-C.
/// </summary>
public sealed class ExperimentRunner(RunSettings settings, Action<string>? log = null)
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    // Rollback must happen even when the run was cancelled; it gets its own bounded time.
    private static readonly TimeSpan RollbackTimeout = TimeSpan.FromMinutes(3);

    private volatile Phase _phase = Phase.WarmUp;

    public async Task<ExperimentResult> RunAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        LoopbackOnly.Check(settings.StorefrontUrl);
        var durations = experiment.Durations(settings.Short);
        using var http = new HttpClient { BaseAddress = settings.StorefrontUrl, Timeout = experiment.Load.RequestTimeout };
        var storefront = new StorefrontAdmin(http);
        await storefront.SignInAsAdminAsync(settings.AdminEmail, settings.AdminPassword, cancellationToken);
        var injector = new FaultInjector(storefront, settings.TopologyScript,
            new Dictionary<string, string>(settings.Variables, StringComparer.Ordinal) { ["storefront"] = settings.StorefrontUrl.ToString() });
        if (injector.Check(experiment) is { Count: > 0 } problems)
        {
            throw new ExperimentFileException(experiment.Name, problems);
        }

        var recorder = new ChaosRecorder(await storefront.ShardLocatorAsync(cancellationToken));
        var timeline = new List<TimelineEvent>();
        void Note(string what)
        {
            timeline.Add(new TimelineEvent(recorder.Now, _phase, what));
            log?.Invoke($"{recorder.Now.TotalSeconds,6:F1}s  {what}");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = new ResilienceWatcher(storefront, recorder, () => _phase);
        var watching = watcher.RunAsync(stop.Token);
        var schedule = new UntilStoppedSchedule(experiment.Load.Rate);
        var engine = new LoadEngine(Profile(experiment.Load, schedule, recorder));
        var loading = engine.RunAsync(onInterval: null, stop.Token);
        var phaseTimes = new List<(Phase Phase, TimeSpan Start, TimeSpan End)>();
        var failures = new List<string>();
        string? aborted = null;
        var injected = new List<FaultAction>();
        var startedAt = DateTimeOffset.UtcNow;
        Runbooks.DrillResult? drill = null;
        try
        {
            Note($"load: {experiment.Load.Rate:0.#} journeys/s ({experiment.Load.Mix}); warm-up {durations.WarmUp.TotalSeconds:0} s");
            await Task.Delay(durations.WarmUp, cancellationToken);

            aborted = await PhaseAsync(Phase.Before, durations.Before);
            if (aborted is null)
            {
                // A breaker that opens while the fault is being put in place opened because of it.
                _phase = Phase.During;
                foreach (var fault in experiment.Faults)
                {
                    Note($"inject: {fault.Describe()}");
                    injected.Add(fault);
                    await injector.InjectAsync(fault, cancellationToken);
                }

                Note("faults in place");
                aborted = await PhaseAsync(Phase.During, durations.During);
            }

            if (aborted is null && settings.Drill is not null)
            {
                // The runbook, not the runner, must bring the system back; the rollback below is a safety net
                // that finds nothing left to undo when the runbook did its job.
                _phase = Phase.Recovery;
                var start = recorder.Now;
                drill = await DrillAsync(settings.Drill, storefront, cancellationToken);
                phaseTimes.Add((Phase.Recovery, start, recorder.Now));
            }

            if (aborted is null)
            {
                _phase = Phase.After;
            }

            await RollbackAsync();
            if (aborted is null && durations.Recovery > TimeSpan.Zero)
            {
                _phase = Phase.Recovery;
                var start = recorder.Now;
                Note($"recovery: {durations.Recovery.TotalSeconds:0} s (measured, not judged)");
                await Task.Delay(durations.Recovery, cancellationToken);
                phaseTimes.Add((Phase.Recovery, start, recorder.Now));
            }

            if (aborted is null)
            {
                aborted = await PhaseAsync(Phase.After, durations.After);
            }
        }
        finally
        {
            // Whatever happened above (an abort, an exception, Ctrl-C), nothing stays broken.
            await RollbackAsync();
            // No new journeys; those under way finish (within the request timeout), so that every request sent
            // in a phase, even one that hung on the fault, is counted in it.
            schedule.Stop();
            if (cancellationToken.IsCancellationRequested)
            {
                await stop.CancelAsync();
            }

            await loading;
            await stop.CancelAsync();
            await watching;
        }

        var phases = new List<PhaseResult>();
        foreach (var (phase, start, end) in phaseTimes)
        {
            var samples = recorder.Between(start, end);
            var slos = experiment.Hypothesis.Judge(phase, samples);
            phases.Add(new PhaseResult(phase, start, end, JourneyFigures(samples), slos));
            foreach (var broken in slos.Where(s => !s.Met))
            {
                failures.Add(FormattableString.Invariant(
                    $"{phase}: {broken.Slo.Name} availability {broken.Availability:P2} (≥ {broken.Slo.Availability:P1}), p99 {broken.P99Ms:F0} ms (≤ {broken.Slo.P99Ms:F0}) over {broken.Requests} requests"));
            }
        }

        if (aborted is not null)
        {
            failures.Insert(0, $"aborted in {phaseTimes[^1].Phase}: {aborted}");
        }

        if (drill is not null)
        {
            failures.AddRange(drill.Rotten.Select(r => $"runbook step rotted: {r}"));
            if (!drill.Recovered)
            {
                failures.Add($"runbook {drill.Runbook}: its verification did not pass within {settings.Drill!.VerifyDeadline.TotalSeconds:0} s of its actions; last output:\n{drill.LastVerification?.Output}");
            }
        }

        Note("checking the acknowledged orders");
        var orders = await new OrderVerifier(storefront).VerifyAsync(recorder.Orders, experiment.Hypothesis.Invariants, cancellationToken);
        failures.AddRange(orders.Violations);
        Note($"orders: {orders.Acknowledged} acknowledged, {orders.Found} found, {orders.Lost.Count} lost");
        return new ExperimentResult(experiment, settings.Short, startedAt, settings.StorefrontUrl.ToString(), phases, watcher.Transitions,
            watcher.FailedPolls, orders, timeline, aborted, failures, drill);

        async Task<Runbooks.DrillResult> DrillAsync(Runbooks.DrillSettings drillSettings, StorefrontAdmin admin, CancellationToken token)
        {
            if (experiment.Runbook is null)
            {
                throw new InvalidOperationException($"Experiment {experiment.Name} names no runbook: there is nothing to drill.");
            }

            var runbook = Runbooks.Runbook.Read(Path.Combine(drillSettings.RepositoryRoot, experiment.Runbook));
            Note($"drill: running {experiment.Runbook} ({runbook.Steps.Count()} steps, then its verification)");
            var environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["B"] = settings.StorefrontUrl.ToString().TrimEnd('/'),
                ["ADMIN_EMAIL"] = settings.AdminEmail,
                ["ADMIN_PASSWORD"] = settings.AdminPassword,
                ["ADMIN_TOKEN"] = admin.AdminToken ?? "",
            };
            if (settings.Variables.TryGetValue("payments", out var payments))
            {
                environment["PAY"] = payments.TrimEnd('/');
            }

            if (settings.Variables.TryGetValue("recommendations", out var recommendations))
            {
                environment["RECS"] = recommendations.TrimEnd('/');
            }

            var result = await new Runbooks.RunbookDrill(
                drillSettings with { Environment = environment },
                line => Note(line)).RunAsync(runbook, token);
            Note(result.Recovered
                ? FormattableString.Invariant($"drill: verified {result.RecoveredAfter!.Value.TotalSeconds:F1} s after the runbook's actions")
                : "drill: the runbook's verification did NOT pass");
            return result;
        }

        async Task<string?> PhaseAsync(Phase phase, TimeSpan length)
        {
            _phase = phase;
            var start = recorder.Now;
            Note($"{phase.ToString().ToLowerInvariant()}: {length.TotalSeconds:0} s");
            string? reason = null;
            while (recorder.Now - start < length)
            {
                var remaining = length - (recorder.Now - start);
                await Task.Delay(remaining < CheckInterval ? remaining : CheckInterval, cancellationToken);
                var now = recorder.Now;
                // The window never reaches back into the previous phase: its SLOs are not this phase's.
                var windowStart = now - experiment.Hypothesis.Abort.Window > start ? now - experiment.Hypothesis.Abort.Window : start;
                reason = experiment.Hypothesis.AbortReason(phase, recorder.Between(windowStart, now));
                if (reason is not null)
                {
                    Note($"ABORT: {reason}");
                    break;
                }
            }

            // Judged once the load has drained: requests sent now may still be under way.
            phaseTimes.Add((phase, start, recorder.Now));
            return reason;
        }

        async Task RollbackAsync()
        {
            using var bounded = new CancellationTokenSource(RollbackTimeout);
            for (var i = injected.Count - 1; i >= 0; i--)
            {
                var fault = injected[i];
                injected.RemoveAt(i);
                Note($"rollback: {fault.DescribeRollback()}");
                try
                {
                    await injector.RollbackAsync(fault, bounded.Token);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    failures.Add($"rollback of '{fault.Describe()}' failed: {exception.Message}");
                    Note($"rollback FAILED: {exception.Message}");
                }
            }
        }
    }

    private LoadProfile Profile(ExperimentLoad load, ArrivalSchedule schedule, ChaosRecorder recorder) => new()
    {
        BaseUrl = settings.StorefrontUrl,
        Schedule = schedule,
        Mix = load.Mix,
        Users = load.Users,
        ActiveSessions = load.Sessions,
        Products = load.Products,
        Categories = load.Categories,
        ThinkTime = load.ThinkTime,
        RequestTimeout = load.RequestTimeout,
        RecommendationsOnProductPage = load.Recommendations,
        Observer = recorder,
    };

    /// <summary>Per journey, and for cart and checkout also per shard of the shopper: requests, failures, p50 and p99.</summary>
    public static IReadOnlyList<JourneyPhaseFigures> JourneyFigures(IReadOnlyList<RequestSample> samples) =>
        samples.GroupBy(s => (s.Journey, Shard: (string?)null))
            .Concat(samples.Where(s => s.Shard is not null).GroupBy(s => (s.Journey, s.Shard)))
            .Select(group =>
            {
                var latencies = group.Select(s => s.LatencyMs).ToList();
                var p50 = Slo.Percentile(latencies, 50);
                return new JourneyPhaseFigures(group.Key.Journey, group.Key.Shard, latencies.Count, group.LongCount(s => s.Failed), p50, Slo.Percentile(latencies, 99));
            })
            .OrderBy(f => f.Journey).ThenBy(f => f.Shard, StringComparer.Ordinal).ToList();
}

/// <summary>A constant rate until <see cref="Stop"/>: phases last as long as they must (a rollback takes what it takes), so the run's length is not known in advance.</summary>
public sealed record UntilStoppedSchedule(double Rate) : ArrivalSchedule
{
    private static readonly TimeSpan Unbounded = TimeSpan.FromDays(1);
    private long _durationTicks = Unbounded.Ticks;

    public override string Name => "chaos";

    /// <summary>The engine reads this before every arrival: once stopped, no journey starts.</summary>
    public override TimeSpan Duration => TimeSpan.FromTicks(Interlocked.Read(ref _durationTicks));

    public override double RateAt(TimeSpan elapsed) => Rate;

    public override IReadOnlyList<ScheduleWindow> Windows => [new(Name, TimeSpan.Zero, Unbounded, Rate)];

    public override string Describe() => FormattableString.Invariant($"{Rate:0.#} journeys/s until the experiment ends");

    public void Stop() => Interlocked.Exchange(ref _durationTicks, 0);
}

public sealed record TimelineEvent(TimeSpan At, Phase Phase, string What);

public sealed record JourneyPhaseFigures(JourneyKind Journey, string? Shard, long Requests, long Failed, double P50Ms, double P99Ms);

public sealed record PhaseResult(Phase Phase, TimeSpan Start, TimeSpan End, IReadOnlyList<JourneyPhaseFigures> Journeys, IReadOnlyList<SloResult> Slos);

public sealed record ExperimentResult(
    Experiment Experiment, bool Short, DateTimeOffset StartedAt, string StorefrontUrl, IReadOnlyList<PhaseResult> Phases,
    IReadOnlyList<BreakerTransition> Breakers, int FailedResiliencePolls, OrderFigures Orders, IReadOnlyList<TimelineEvent> Timeline,
    string? Aborted, IReadOnlyList<string> Failures, Runbooks.DrillResult? Drill = null)
{
    public bool Passed => Failures.Count == 0;
}
