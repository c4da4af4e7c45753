using System.Text.Json;

namespace ScaleShop.Chaos;

/// <summary>
/// One chaos experiment, as read from <c>chaos/experiments/NAME.json</c> and validated: the load it runs under,
/// how long each phase lasts (in full and in its short CI version), the faults it injects (each with its
/// rollback) and the steady-state hypothesis it must keep before, during and after them. <see cref="Runbook"/> is
/// the on-call runbook (a path from the repository root) for the failure it injects: a drill runs it instead of
/// the automatic rollback.
/// </summary>
public sealed record Experiment(
    string Name,
    string Description,
    ExperimentLoad Load,
    PhaseDurations Full,
    PhaseDurations Short,
    IReadOnlyList<FaultAction> Faults,
    Hypothesis Hypothesis,
    string? Runbook = null)
{
    public PhaseDurations Durations(bool shortVersion) => shortVersion ? Short : Full;
}

/// <summary>The open-model load the experiment runs under (see <see cref="ScaleShop.Load.LoadProfile"/>).</summary>
public sealed record ExperimentLoad(
    double Rate, Load.JourneyMix Mix, int Users, int Sessions, long Products, int Categories, TimeSpan ThinkTime, bool Recommendations, TimeSpan RequestTimeout);

/// <summary>How long each phase lasts; <see cref="Recovery"/> is the time the system is given after the rollback before "after" is judged.</summary>
public sealed record PhaseDurations(TimeSpan WarmUp, TimeSpan Before, TimeSpan During, TimeSpan After, TimeSpan Recovery)
{
    public TimeSpan Total => WarmUp + Before + During + Recovery + After;
}

/// <summary>
/// The experiment's phases. Warm-up and recovery are measured but never judged: recovery is the promise that the
/// system is back within so many seconds of the rollback (a breaker that opened stays open for its break
/// duration; a restarted database replays its log), not at once.
/// </summary>
public enum Phase
{
    WarmUp,
    Before,
    During,
    Recovery,
    After,
}

/// <summary>A fault and the action that undoes it.</summary>
public abstract record FaultAction
{
    /// <summary>What the report calls it, e.g. <c>stop postgres-b</c>.</summary>
    public abstract string Describe();

    public abstract string DescribeRollback();
}

/// <summary>A server of the local topology stopped (immediately: a crash) or paused (SIGSTOP: a hung machine) through <c>topology.sh</c>; the rollback starts or resumes it.</summary>
public sealed record ProcessFault(ProcessFaultKind Kind, string Server) : FaultAction
{
    public static readonly IReadOnlySet<string> Servers = new HashSet<string>(StringComparer.Ordinal) { "postgres-a", "postgres-b", "replica", "redis", "nats" };

    public string Verb => Kind == ProcessFaultKind.Stop ? "stop" : "pause";

    public string RollbackVerb => Kind == ProcessFaultKind.Stop ? "start" : "resume";

    public override string Describe() => $"{Verb} {Server}";

    public override string DescribeRollback() => $"{RollbackVerb} {Server}";
}

public enum ProcessFaultKind
{
    Stop,
    Pause,
}

/// <summary>
/// A JSON body sent to a URL (the payment provider's or the recommendations service's <c>/admin/faults</c>, the
/// storefront's own chaos switchboard), and the body that undoes it. URLs may name <c>${variable}</c>s given on
/// the command line (<c>--var payments=http://127.0.0.1:5351</c>); <c>${storefront}</c> is always set.
/// </summary>
public sealed record HttpFault(HttpMethod Method, string Url, JsonElement Body, HttpMethod RollbackMethod, JsonElement RollbackBody, bool AsAdmin) : FaultAction
{
    public override string Describe() => $"{Method} {Url} {System.Text.Json.JsonSerializer.Serialize(Body)}";

    public override string DescribeRollback() => $"{RollbackMethod} {Url} {System.Text.Json.JsonSerializer.Serialize(RollbackBody)}";
}
