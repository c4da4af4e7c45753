using System.Diagnostics;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Gateway;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Migrations;
using ScaleShop.Cluster.Versions;
using ScaleShop.Deployment.Canary;

namespace ScaleShop.Cluster.Rollouts;

public enum ClusterPhase
{
    Starting,
    Running,
    Stopping,
    Failed,
}

/// <summary>The previous version after a promotion: still running at weight 0 until <see cref="Until"/>, so a rollback only moves weights.</summary>
public sealed record WarmVersion(string Version, IReadOnlyList<StorefrontInstance> Instances, DateTimeOffset Until);

public sealed record RollbackView(string From, string To, double ElapsedMs, string How);

/// <summary>
/// The one place that changes the fleet: start-up, deploys (canary, then one instance at a time), rollbacks, scaling,
/// and the supervision loop's replacement of a crashed instance. Changes are serialised by one gate, so a scale step
/// or a replacement never interleaves with a rollout; the autoscaler and the supervision loop skip their turn while the
/// gate is held. (Retiring the instances a warm rollback left, in the background, is the one change outside it: it
/// only stops instances already out of the gateway.)
/// </summary>
public sealed class ClusterController(
    IOptions<ClusterOptions> clusterOptions, IOptions<RolloutOptions> rolloutOptions, IOptions<CanaryOptions> canaryOptions,
    StorefrontFleet fleet, FixedParts parts, VersionStore versions, GatewayClient gateway, ErrorBudgets budgets, DeploymentHistory history,
    ILogger<ClusterController> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _rollouts;
    private Rollout? _rollout;
    private WarmVersion? _warm;
    private CancellationTokenSource? _warmExpiry;

    public ClusterPhase Phase { get; private set; } = ClusterPhase.Starting;

    public string? Message { get; private set; }

    public string? CurrentVersion { get; private set; }

    public WarmVersion? Warm => _warm;

    public Rollout? LastRollout => _rollout;

    public bool RolloutRunning => _rollout is { IsFinished: false };

    /// <summary>Fixed parts, then the first instance alone (it migrates and seeds the shared databases), then the rest.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var cluster = clusterOptions.Value;
        try
        {
            var version = cluster.InitialVersion ?? history.Current ?? versions.List().LastOrDefault()?.Version
                ?? throw new InvalidOperationException("No version is published: scaleshop cluster publish <version> first.");
            if (!versions.Exists(version))
            {
                throw new VersionNotFoundException(version);
            }

            await parts.StartAsync(cancellationToken);
            for (var i = 0; i < cluster.Instances; i++)
            {
                var instance = await fleet.StartAsync(version, cancellationToken);
                await fleet.SetWeightAsync(instance, rolloutOptions.Value.FullWeight, cancellationToken);
            }

            CurrentVersion = version;
            history.Record(version);
            Phase = ClusterPhase.Running;
            logger.LogInformation("Cluster up: {Instances} instance(s) of {Version} behind {PublicUrl}", cluster.Instances, version, cluster.PublicUrl);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Phase = ClusterPhase.Failed;
            Message = exception.Message;
            logger.LogError(exception, "The cluster did not start");
            throw;
        }
    }

    /// <summary>Stops everything: a rollout in progress is abandoned, instances drain and stop, then the fixed parts.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Phase = ClusterPhase.Stopping;
        await _stopping.CancelAsync();
        if (_rollout is { } rollout)
        {
            await rollout.Cancellation.CancelAsync();
            await rollout.Completion.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await fleet.RetireAllAsync(cancellationToken);
        await parts.StopAsync(cancellationToken);
    }

    /// <summary>Begins a deploy in the background; the returned rollout is followed through the control API.</summary>
    public Rollout BeginDeploy(string version)
    {
        if (!versions.Exists(version))
        {
            throw new VersionNotFoundException(version);
        }

        lock (_lock)
        {
            if (Phase != ClusterPhase.Running)
            {
                throw new ClusterBusyException($"The cluster is {Phase}.");
            }

            if (RolloutRunning)
            {
                throw new ClusterBusyException($"Rollout {_rollout!.Id} ({_rollout.From} → {_rollout.To}) is still running.");
            }

            if (version == CurrentVersion)
            {
                throw new ClusterBusyException($"{version} is already the current version.");
            }

            var rollout = new Rollout(Interlocked.Increment(ref _rollouts), CurrentVersion!, version, DateTimeOffset.UtcNow);
            _rollout = rollout;
            rollout.Completion = Task.Run(() => RunRolloutAsync(rollout), CancellationToken.None);
            return rollout;
        }
    }

    /// <summary>The migration check alone (also the first step of every deploy).</summary>
    public MigrationCheckResult CheckMigrations(string version)
    {
        if (!versions.Exists(version))
        {
            throw new VersionNotFoundException(version);
        }

        var running = CurrentVersion ?? throw new ClusterBusyException("No version is running yet.");
        return ExpandContractCheck.Check(running, MigrationScripts.Read(versions.MigrationsOf(running)), version,
            MigrationScripts.Read(versions.MigrationsOf(version)), history.Versions);
    }

    /// <summary>
    /// Back to the previous version. During a rollout: abort it (the old version is still serving). After a promotion,
    /// within the warm window: the previous version's instances take their full weight again and the new ones drain —
    /// weights only, nothing to start. Otherwise there is nothing warm to go back to: deploy the old version instead.
    /// </summary>
    public async Task<RollbackView> RollbackAsync(CancellationToken cancellationToken)
    {
        if (_rollout is { IsFinished: false } running)
        {
            var watch = Stopwatch.StartNew();
            await running.Cancellation.CancelAsync();
            await running.Completion.WaitAsync(cancellationToken);
            return new RollbackView(running.To, running.From, watch.Elapsed.TotalMilliseconds, "aborted the rollout in progress");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var warm = _warm ?? throw new ClusterBusyException("Nothing to roll back to: no previous version is kept warm (its window ended, or nothing was promoted). Deploy the old version instead.");
            var alive = warm.Instances.Where(i => i.State == Fleet.InstanceState.Serving && !i.Process.HasExited).ToList();
            if (alive.Count == 0)
            {
                throw new ClusterBusyException($"The warm instances of {warm.Version} are gone: deploy it instead.");
            }

            var from = CurrentVersion!;
            var leaving = fleet.Instances.Where(i => i.Version == from && i.State == Fleet.InstanceState.Serving).ToList();
            var watch = Stopwatch.StartNew();
            // Old version first at full weight, then the new one out: there is always somewhere to send a request.
            await Task.WhenAll(alive.Select(i => fleet.SetWeightAsync(i, rolloutOptions.Value.FullWeight, cancellationToken)));
            await Task.WhenAll(leaving.Select(i => gateway.DrainAsync(i.Id, cancellationToken)));
            var elapsed = watch.Elapsed;
            CurrentVersion = warm.Version;
            history.Record(warm.Version);
            ClearWarm();
            logger.LogWarning("Rolled back {From} → {To} in {Elapsed:0} ms (weights only)", from, warm.Version, elapsed.TotalMilliseconds);
            _ = Task.Run(() => RetireQuietlyAsync(leaving), CancellationToken.None);
            return new RollbackView(from, warm.Version, elapsed.TotalMilliseconds, "weights moved to the warm previous version");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Instances of the current version to <paramref name="instances"/>: new ones join when ready, removed ones drain first.</summary>
    public async Task ScaleAsync(int instances, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ScaleLockedAsync(instances, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>For the autoscaler: scale only if nothing else is changing the fleet; false when it had to skip.</summary>
    public async Task<bool> TryScaleAsync(int instances, CancellationToken cancellationToken)
    {
        if (RolloutRunning || Phase != ClusterPhase.Running || !await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return false;
        }

        try
        {
            await ScaleLockedAsync(instances, cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// For the supervision loop: runs <paramref name="change"/> only if nothing else is changing the fleet; false when it
    /// had to skip. A rollout owns the fleet while it runs — it rolls back when an instance of its new version dies, and a
    /// replacement started beside it would be one it does not know of (left serving the version it rolled back) — so a
    /// crash during a rollout is handled once the rollout has finished.
    /// </summary>
    public async Task<bool> TryChangeFleetAsync(Func<CancellationToken, Task> change, CancellationToken cancellationToken)
    {
        if (RolloutRunning || Phase != ClusterPhase.Running || !await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return false;
        }

        try
        {
            await change(cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public int ServingCount => CurrentVersion is { } version ? fleet.Serving(version).Count : 0;

    public void Dispose()
    {
        _gate.Dispose();
        _stopping.Dispose();
        _warmExpiry?.Dispose();
    }

    private async Task ScaleLockedAsync(int instances, CancellationToken cancellationToken)
    {
        var version = CurrentVersion ?? throw new ClusterBusyException("No version is running yet.");
        var serving = fleet.Serving(version);
        for (var i = serving.Count; i < instances; i++)
        {
            var added = await fleet.StartAsync(version, cancellationToken);
            await fleet.SetWeightAsync(added, rolloutOptions.Value.FullWeight, cancellationToken);
        }

        // The newest go first: the oldest have the warmest caches.
        foreach (var removed in serving.OrderByDescending(i => i.StartedAt).Take(Math.Max(0, serving.Count - instances)))
        {
            await fleet.RetireAsync(removed, cancellationToken);
        }
    }

    private async Task RunRolloutAsync(Rollout rollout)
    {
        var cancellationToken = rollout.Cancellation.Token;
        var options = rolloutOptions.Value;
        List<StorefrontInstance> baseline = [];
        List<StorefrontInstance> started = [];
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            rollout.RollingBackBecause(_stopping.IsCancellationRequested ? RollbackCause.ClusterStopping : RollbackCause.Operator, decision: null);
            rollout.Enter(RolloutPhase.RolledBack, "cancelled before it started");
            return;
        }

        try
        {
            rollout.Migration = CheckMigrations(rollout.To);
            if (!rollout.Migration.Allowed)
            {
                rollout.Enter(RolloutPhase.Refused, "migration check: " + rollout.Migration.Summary);
                return;
            }

            var budget = await budgets.CheckAsync(cancellationToken);
            rollout.Budget = budget.Reason;
            if (!budget.MayProceed)
            {
                rollout.Enter(RolloutPhase.Refused, "error budget: " + budget.Reason);
                return;
            }

            // A new rollout ends the previous one's rollback window.
            await RetireWarmAsync(expected: null, cancellationToken);
            baseline = fleet.Serving(rollout.From).ToList();

            rollout.Enter(RolloutPhase.Canary, $"starting one instance of {rollout.To}");
            var canary = await fleet.StartAsync(rollout.To, cancellationToken);
            started.Add(canary);
            var before = await gateway.TrafficAsync(cancellationToken);
            await fleet.SetWeightAsync(canary, CanaryWeight(baseline.Count, options), cancellationToken);
            rollout.CanaryStartedAt = DateTimeOffset.UtcNow;
            rollout.Enter(RolloutPhase.Canary, $"{rollout.To} takes {options.CanaryShare:P0} of traffic");

            if (await AnalyseUntilDecidedAsync(rollout, started, before, cancellationToken) is { } abort)
            {
                await AbortAsync(rollout, baseline, started, abort);
                return;
            }

            rollout.Enter(RolloutPhase.Rolling, $"canary passed: replacing {baseline.Count} instance(s) one at a time");
            await fleet.SetWeightAsync(canary, options.FullWeight, cancellationToken);
            for (var i = 0; i < baseline.Count; i++)
            {
                if (i > 0)
                {
                    var next = await fleet.StartAsync(rollout.To, cancellationToken);
                    started.Add(next);
                    await fleet.SetWeightAsync(next, options.FullWeight, cancellationToken);
                }

                // Checked before an old instance is taken out, not only after: a new one that died meanwhile (while the
                // next one started) must not be what is left serving in its place.
                if (Exited(rollout, started) is { } exited)
                {
                    await AbortAsync(rollout, baseline, started, exited);
                    return;
                }

                // Weight 0: no new requests, those in flight finish; the process stays warm for a rollback.
                await fleet.SetWeightAsync(baseline[i], 0, cancellationToken);
                rollout.Enter(RolloutPhase.Rolling, $"{i + 1} of {baseline.Count} replaced");
                if (await AnalyseOnceAsync(rollout, started, before, cancellationToken) is { } failed)
                {
                    await AbortAsync(rollout, baseline, started, failed);
                    return;
                }
            }

            CurrentVersion = rollout.To;
            history.Record(rollout.To);
            KeepWarm(new WarmVersion(rollout.From, baseline, DateTimeOffset.UtcNow + options.KeepPreviousWarmFor));
            rollout.Enter(RolloutPhase.Promoted, $"{rollout.To} serves everything; {rollout.From} stays warm until {_warm?.Until:HH:mm:ss} for an instant rollback");
            logger.LogInformation("Rollout {Id}: {To} promoted", rollout.Id, rollout.To);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await AbortAsync(rollout, baseline, started, _stopping.IsCancellationRequested
                ? new Abort("the cluster is stopping", RollbackCause.ClusterStopping, null)
                : new Abort("rollback requested by an operator", RollbackCause.Operator, null));
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Rollout {Id} failed", rollout.Id);
            await AbortAsync(rollout, baseline, started, new Abort(exception.Message, RollbackCause.Failure, null), RolloutPhase.Failed);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Why a rollout rolls back: what to tell the operator, the cause, the verdict that decided (if any).</summary>
    private sealed record Abort(string Reason, RollbackCause Cause, VerdictView? Decision);

    /// <summary>One look at the canary: the comparison's verdict, then the error budget gate (which may turn it into a Fail).</summary>
    private sealed record Judgement(CanaryOutcome Outcome, string Reason, RollbackCause? Cause, VerdictView Verdict)
    {
        /// <summary>The comparison failed the canary on latency only (its errors did not fail, the budget did not stop it).</summary>
        public bool FailsOnLatencyAlone =>
            Outcome == CanaryOutcome.Fail && Cause == RollbackCause.CanaryAnalysis
            && Verdict.Errors != nameof(CanaryOutcome.Fail) && Verdict.Latency == nameof(CanaryOutcome.Fail);

        public Abort ToAbort() => new(Reason, Cause ?? RollbackCause.CanaryAnalysis, Verdict);
    }

    /// <summary>Verdicts every analysis interval until one decides; null: proceed, otherwise why to roll back.</summary>
    private async Task<Abort?> AnalyseUntilDecidedAsync(Rollout rollout, IReadOnlyList<StorefrontInstance> started, GatewayTraffic before, CancellationToken cancellationToken)
    {
        var options = rolloutOptions.Value;
        var deadline = DateTimeOffset.UtcNow + options.MaxAnalysisDuration;
        var warmUpEnds = DateTimeOffset.UtcNow + options.CanaryWarmUp;
        var warm = options.CanaryWarmUp <= TimeSpan.Zero;
        var latencyFails = new LatencyFailStreak(options.LatencyFailConfirmations);
        using var timer = new PeriodicTimer(options.AnalysisInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (Exited(rollout, started) is { } exited)
            {
                return exited;
            }

            if (!warm && DateTimeOffset.UtcNow >= warmUpEnds)
            {
                // From here on both versions are compared on warm traffic only: the cold start is left out.
                before = await gateway.TrafficAsync(cancellationToken);
                warm = true;
                logger.LogInformation("Rollout {Id}: canary warm after {WarmUp}; its comparison starts now", rollout.Id, options.CanaryWarmUp);
                continue;
            }

            var judgement = await JudgeAsync(rollout, before, cancellationToken, judgeLatency: warm);
            if (latencyFails.Defers(judgement.FailsOnLatencyAlone))
            {
                logger.LogInformation("Rollout {Id}: latency fail {Count} of the {Needed} in a row that roll back; the next verdict decides", rollout.Id, latencyFails.InARow, options.LatencyFailConfirmations);
                continue;
            }

            switch (judgement.Outcome)
            {
                case CanaryOutcome.Fail:
                    return judgement.ToAbort();
                case CanaryOutcome.Pass:
                    return null;
                case CanaryOutcome.Inconclusive when DateTimeOffset.UtcNow >= deadline:
                    return options.ProceedWhenInconclusive
                        ? null
                        : new Abort($"still inconclusive after {options.MaxAnalysisDuration}: no evidence, no promotion ({judgement.Reason})", RollbackCause.Inconclusive, judgement.Verdict);
            }
        }

        return new Abort("the analysis stopped", RollbackCause.Failure, null);
    }

    /// <summary>During the roll: only a failure stops it (inconclusive is fine, the canary already passed).</summary>
    private async Task<Abort?> AnalyseOnceAsync(Rollout rollout, IReadOnlyList<StorefrontInstance> started, GatewayTraffic before, CancellationToken cancellationToken)
    {
        if (Exited(rollout, started) is { } exited)
        {
            return exited;
        }

        // New instances of the version join cold during the roll: their latency was judged on the warm canary already.
        var judgement = await JudgeAsync(rollout, before, cancellationToken, judgeLatency: false);
        return judgement.Outcome == CanaryOutcome.Fail ? judgement.ToAbort() : null;
    }

    /// <summary>An instance of the new version whose process died: a release that crashes is rolled back at once, not judged.</summary>
    private static Abort? Exited(Rollout rollout, IReadOnlyList<StorefrontInstance> started) =>
        started.FirstOrDefault(i => i.Process.HasExited) is { } dead
            ? new Abort($"{dead.Id} of {rollout.To} exited with code {dead.Process.ExitCode} during the rollout (log: {dead.Process.LogPath})", RollbackCause.InstanceExited, null)
            : null;

    private async Task<Judgement> JudgeAsync(Rollout rollout, GatewayTraffic before, CancellationToken cancellationToken, bool judgeLatency)
    {
        var now = await gateway.TrafficAsync(cancellationToken);
        // The same period for both: everything each version served since the canary joined.
        var baseline = now.Window(rollout.From).Minus(before.Window(rollout.From));
        var canary = now.Window(rollout.To).Minus(before.Window(rollout.To));
        var verdict = CanaryAnalysis.Compare(baseline, canary, canaryOptions.Value);
        if (!judgeLatency && verdict.Errors.Outcome != CanaryOutcome.Fail && verdict.Outcome != CanaryOutcome.Inconclusive)
        {
            // Cold instances: only their errors may decide now (a latency Fail or a Pass waits for warm traffic).
            verdict = verdict with
            {
                Outcome = CanaryOutcome.Inconclusive,
                Summary = $"warming up, errors only: {verdict.Errors.Detail}",
            };
        }

        var view = new VerdictView(DateTimeOffset.UtcNow, verdict.Outcome.ToString(), verdict.Summary, baseline.Requests, baseline.Failures, canary.Requests, canary.Failures,
            verdict.Errors.Outcome.ToString(), (judgeLatency ? verdict.Latency.Outcome : CanaryOutcome.Inconclusive).ToString());
        rollout.Record(view);
        logger.LogInformation("Rollout {Id} verdict {Outcome}: {Summary}", rollout.Id, verdict.Outcome, verdict.Summary);
        if (verdict.Outcome == CanaryOutcome.Fail)
        {
            return new Judgement(CanaryOutcome.Fail, "canary analysis: " + verdict.Summary, RollbackCause.CanaryAnalysis, view);
        }

        var budget = await budgets.CheckAsync(cancellationToken);
        rollout.Budget = budget.Reason;
        return budget.MayProceed
            ? new Judgement(verdict.Outcome, verdict.Summary, null, view)
            : new Judgement(CanaryOutcome.Fail, "error budget: " + budget.Reason, RollbackCause.ErrorBudget, view);
    }

    /// <summary>The old version back at full weight first, then every new instance drained and stopped.</summary>
    private async Task AbortAsync(Rollout rollout, IReadOnlyList<StorefrontInstance> baseline, IReadOnlyList<StorefrontInstance> started, Abort abort, RolloutPhase phase = RolloutPhase.RolledBack)
    {
        // Not the rollout's token: it may be the cancellation that brought us here, and the rollback must finish.
        var cancellationToken = CancellationToken.None;
        var reason = abort.Reason;
        rollout.RollingBackBecause(abort.Cause, abort.Decision);
        logger.LogWarning("Rollout {Id} rolls back ({Cause}): {Reason}", rollout.Id, abort.Cause, reason);
        try
        {
            foreach (var old in baseline.Where(i => i.State == Fleet.InstanceState.Serving))
            {
                await fleet.SetWeightAsync(old, rolloutOptions.Value.FullWeight, cancellationToken);
            }

            foreach (var instance in started.Where(i => i.State == Fleet.InstanceState.Serving))
            {
                await gateway.DrainAsync(instance.Id, cancellationToken);
            }

            rollout.TrafficRestoredAt = DateTimeOffset.UtcNow;
            await Task.WhenAll(started.Where(i => i.State != Fleet.InstanceState.Stopped).Select(i => fleet.RetireAsync(i, cancellationToken)));
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException)
        {
            logger.LogError(exception, "Rollout {Id}: the rollback itself failed", rollout.Id);
            reason += $"; the rollback failed: {exception.Message}";
        }

        rollout.Enter(phase, reason);
    }

    private static int CanaryWeight(int baselineInstances, RolloutOptions options) =>
        // canary / (canary + baseline) = share  ⇒  canary = baseline × share / (1 − share), baseline = n × full weight
        Math.Max(1, (int)Math.Round(baselineInstances * options.FullWeight * options.CanaryShare / (1 - options.CanaryShare)));

    private void KeepWarm(WarmVersion warm)
    {
        _warm = warm;
        _warmExpiry?.Cancel();
        _warmExpiry?.Dispose();
        var expiry = _warmExpiry = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(warm.Until - DateTimeOffset.UtcNow, expiry.Token);
                await _gate.WaitAsync(expiry.Token);
                try
                {
                    await RetireWarmAsync(warm, expiry.Token);
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (OperationCanceledException)
            {
                // rolled back, replaced by a newer rollout, or the cluster stops
            }
        }, CancellationToken.None);
    }

    private void ClearWarm()
    {
        _warm = null;
        _warmExpiry?.Cancel();
    }

    /// <summary>Stops the warm previous version's instances; with <paramref name="expected"/>, only if that one is still the warm version.</summary>
    private async Task RetireWarmAsync(WarmVersion? expected, CancellationToken cancellationToken)
    {
        if (_warm is not { } warm || (expected is not null && !ReferenceEquals(warm, expected)))
        {
            return;
        }

        _warm = null;
        logger.LogInformation("The warm window of {Version} ended: stopping its instances", warm.Version);
        await Task.WhenAll(warm.Instances.Where(i => i.State != Fleet.InstanceState.Stopped).Select(i => fleet.RetireAsync(i, cancellationToken)));
    }

    private async Task RetireQuietlyAsync(IEnumerable<StorefrontInstance> instances)
    {
        try
        {
            await Task.WhenAll(instances.Select(i => fleet.RetireAsync(i, _stopping.Token)));
        }
        catch (OperationCanceledException)
        {
            // the cluster stops: it retires everything itself
        }
    }
}

/// <summary>The request conflicts with what the cluster is doing (409).</summary>
public sealed class ClusterBusyException(string message) : Exception(message);
