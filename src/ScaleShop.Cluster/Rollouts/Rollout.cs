using ScaleShop.Cluster.Migrations;

namespace ScaleShop.Cluster.Rollouts;

public enum RolloutPhase
{
    /// <summary>Migration check and error budget, before anything starts.</summary>
    Checking,

    /// <summary>One instance of the new version takes a small share; it is compared with the old version.</summary>
    Canary,

    /// <summary>The canary passed: the rest are replaced one at a time, still under analysis.</summary>
    Rolling,

    Promoted,

    /// <summary>The canary failed (or the budget ran out, or an operator asked): the old version serves everything again.</summary>
    RolledBack,

    /// <summary>The checks said no: nothing was started.</summary>
    Refused,

    /// <summary>Something broke (an instance did not start): the old version serves everything again.</summary>
    Failed,
}

/// <summary>What ended a rollout that did not promote its version.</summary>
public enum RollbackCause
{
    /// <summary>The statistical comparison failed the canary (<see cref="VerdictView.Errors"/> or <see cref="VerdictView.Latency"/> says which check).</summary>
    CanaryAnalysis,

    /// <summary>The error budget gate: a journey's budget ran low or a paging burn-rate alert fired.</summary>
    ErrorBudget,

    /// <summary>The comparison stayed inconclusive until <c>Rollout:MaxAnalysisDuration</c>: no evidence, no promotion.</summary>
    Inconclusive,

    /// <summary><c>rollback</c> during the rollout.</summary>
    Operator,

    /// <summary><c>cluster down</c> during the rollout.</summary>
    ClusterStopping,

    /// <summary>Something broke (an instance did not start, the gateway did not answer).</summary>
    Failure,

    /// <summary>An instance of the new version died during the rollout (its process exited).</summary>
    InstanceExited,
}

/// <summary>
/// One canary verdict, as the control API and <c>cluster status</c> show it: the overall outcome and each check's
/// (<see cref="Errors"/>, <see cref="Latency"/>: Pass, Fail, Inconclusive; a latency check not judged yet, while the
/// canary warms up, is Inconclusive).
/// </summary>
public sealed record VerdictView(
    DateTimeOffset At, string Outcome, string Summary, long BaselineRequests, long BaselineFailures, long CanaryRequests, long CanaryFailures,
    string Errors, string Latency);

/// <summary>
/// A rollout as the control API shows it. <see cref="RolledBackBy"/> and <see cref="Decision"/> say what ended one that
/// was not promoted: the cause, and the verdict that decided it (the comparison's failing verdict, or the last one
/// the controller had when the budget gate or the analysis deadline stopped it; null when no verdict was reached).
/// </summary>
public sealed record RolloutView(
    int Id, string From, string To, string Phase, DateTimeOffset StartedAt, DateTimeOffset? CanaryStartedAt, DateTimeOffset? EndedAt,
    string? Message, string? Migration, string? Budget, IReadOnlyList<VerdictView> Verdicts, double? CanaryToRollbackSeconds, bool Finished,
    string? RolledBackBy = null, VerdictView? Decision = null);

/// <summary>A deploy in progress or done: what it is doing, and every verdict it reached on the way.</summary>
public sealed class Rollout(int id, string from, string to, DateTimeOffset startedAt)
{
    private readonly Lock _lock = new();
    private readonly List<VerdictView> _verdicts = [];

    public int Id { get; } = id;

    public string From { get; } = from;

    public string To { get; } = to;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public RolloutPhase Phase { get; private set; } = RolloutPhase.Checking;

    public DateTimeOffset? CanaryStartedAt { get; set; }

    /// <summary>When the canary stopped taking traffic after a rollback (drain called at the gateway).</summary>
    public DateTimeOffset? TrafficRestoredAt { get; set; }

    public DateTimeOffset? EndedAt { get; private set; }

    public string? Message { get; private set; }

    public MigrationCheckResult? Migration { get; set; }

    public string? Budget { get; set; }

    /// <summary>Why it was rolled back (null while running, and when promoted or refused).</summary>
    public RollbackCause? Cause { get; private set; }

    /// <summary>The verdict that decided the rollback, when one did.</summary>
    public VerdictView? Decision { get; private set; }

    public CancellationTokenSource Cancellation { get; } = new();

    public Task Completion { get; set; } = Task.CompletedTask;

    public bool IsFinished => Phase is RolloutPhase.Promoted or RolloutPhase.RolledBack or RolloutPhase.Refused or RolloutPhase.Failed;

    public void Enter(RolloutPhase phase, string? message = null)
    {
        lock (_lock)
        {
            Phase = phase;
            Message = message ?? Message;
            if (IsFinished)
            {
                EndedAt = DateTimeOffset.UtcNow;
            }
        }
    }

    /// <summary>Records why the rollout is being rolled back; the first cause stands (an abort's own failure does not replace it).</summary>
    public void RollingBackBecause(RollbackCause cause, VerdictView? decision)
    {
        lock (_lock)
        {
            if (Cause is null)
            {
                Cause = cause;
                Decision = decision;
            }
        }
    }

    public void Record(VerdictView verdict)
    {
        lock (_lock)
        {
            _verdicts.Add(verdict);
        }
    }

    public RolloutView View()
    {
        lock (_lock)
        {
            double? toRollback = CanaryStartedAt is { } canary && TrafficRestoredAt is { } restored ? (restored - canary).TotalSeconds : null;
            return new RolloutView(Id, From, To, Phase.ToString(), StartedAt, CanaryStartedAt, EndedAt, Message, Migration?.Summary, Budget,
                _verdicts.ToList(), toRollback, IsFinished, Cause?.ToString(), Decision);
        }
    }
}
