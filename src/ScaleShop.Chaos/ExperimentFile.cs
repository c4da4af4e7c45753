using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScaleShop.Load;

namespace ScaleShop.Chaos;

/// <summary>
/// Reads and validates an experiment file. Every mistake is reported with the JSON path of the field it is in
/// (<c>hypothesis.slos[2].p99Ms</c>), all of them at once, and unknown fields are refused: a misspelt
/// "availabilty" silently ignored would be a hypothesis nobody checks.
/// </summary>
public static class ExperimentFile
{
    private const double MaxRate = 1_000;
    private const double MaxPhaseSeconds = 3_600;
    private const int MaxUsers = 100_000_000;
    private const double MaxThinkMs = 60_000;
    private const double MaxTimeoutSeconds = 120;
    private const double MaxP99Ms = 600_000;
    private const double MaxAbortFactor = 1_000;
    private const double MaxSettleSeconds = 3_600;
    private const double DefaultThinkMs = 200;
    private const double DefaultTimeoutSeconds = 10;

    // When a file does not say: a p99 of fewer requests is the slowest of a handful (the short versions' six-second
    // "before" phase sends about twelve cart requests; one cold-path stall failed it in CI).
    private const int DefaultMinRequestsForLatency = 20;

    public static Experiment Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ExperimentFileException(path, [$"cannot be read: {exception.Message}"]);
        }

        return Parse(text, path);
    }

    public static Experiment Parse(string json, string source)
    {
        ExperimentDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, ExperimentJsonContext.Default.ExperimentDto);
        }
        catch (JsonException exception)
        {
            // System.Text.Json names the path ($.hypothesis.slos[0].avail...) in its message.
            throw new ExperimentFileException(source, [exception.Message]);
        }

        var errors = new List<string>();
        var experiment = dto is null ? null : Validate(dto, errors);
        if (experiment is null || errors.Count > 0)
        {
            throw new ExperimentFileException(source, errors.Count > 0 ? errors : ["the file is empty (null)"]);
        }

        return experiment;
    }

    // A path from the repository root, checked for shape here; whether the file exists is the drill's (and a test's) business.
    private static string? Runbook(string? runbook, List<string> errors)
    {
        if (runbook is not null && !System.Text.RegularExpressions.Regex.IsMatch(runbook, @"^docs/runbooks/[a-z0-9-]+\.md$"))
        {
            errors.Add("runbook: a file under docs/runbooks/, e.g. docs/runbooks/cache-down.md");
        }

        return runbook;
    }

    private static Experiment? Validate(ExperimentDto dto, List<string> errors)
    {
        var name = Required(dto.Name, "name", errors);
        if (name is not null && !System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9][a-z0-9-]*$"))
        {
            errors.Add("name: lower-case letters, digits and '-' only (it names the report's folder)");
        }

        var load = ValidateLoad(dto.Load, errors);
        var full = ValidatePhases(dto.Phases, "phases", errors);
        var shortVersion = ValidatePhases(dto.Short, "short", errors);
        var faults = new List<FaultAction>();
        if (dto.Faults is not { Count: > 0 })
        {
            errors.Add("faults: at least one fault is required");
        }
        else
        {
            for (var i = 0; i < dto.Faults.Count; i++)
            {
                if (ValidateFault(dto.Faults[i], $"faults[{i}]", errors) is { } fault)
                {
                    faults.Add(fault);
                }
            }
        }

        var hypothesis = ValidateHypothesis(dto.Hypothesis, errors);
        return name is null || load is null || full is null || shortVersion is null || hypothesis is null || errors.Count > 0
            ? null
            : new Experiment(name, dto.Description ?? "", load, full, shortVersion, faults, hypothesis, Runbook(dto.Runbook, errors));
    }

    private static ExperimentLoad? ValidateLoad(LoadDto? dto, List<string> errors)
    {
        if (dto is null)
        {
            errors.Add("load: required ({ \"rate\": journeys per second, \"mix\": \"browse=60,search=20,cart=10,checkout=10\", ... })");
            return null;
        }

        var rate = Between(dto.Rate, "load.rate", 0.1, MaxRate, errors);
        JourneyMix mix = JourneyMix.Default;
        if (dto.Mix is not null)
        {
            try
            {
                mix = JourneyMix.Parse(dto.Mix);
            }
            catch (FormatException exception)
            {
                errors.Add($"load.mix: {exception.Message}");
            }
        }

        var users = (int)(Between(dto.Users, "load.users", 1, MaxUsers, errors) ?? 1);
        var sessions = (int)(Between(dto.Sessions, "load.sessions", 1, MaxUsers, errors) ?? 1);
        var products = (long)(Between(dto.Products, "load.products", 1, MaxUsers, errors) ?? 1);
        var categories = (int)(Between(dto.Categories, "load.categories", 1, MaxUsers, errors) ?? 1);
        var think = Between(dto.ThinkMs ?? DefaultThinkMs, "load.thinkMs", 0, MaxThinkMs, errors) ?? 0;
        var timeout = Between(dto.TimeoutSeconds ?? DefaultTimeoutSeconds, "load.timeoutSeconds", 0.1, MaxTimeoutSeconds, errors) ?? 1;
        return rate is null ? null : new ExperimentLoad(rate.Value, mix, users, sessions, products, categories,
            TimeSpan.FromMilliseconds(think), dto.Recommendations ?? false, TimeSpan.FromSeconds(timeout));
    }

    private static PhaseDurations? ValidatePhases(PhasesDto? dto, string path, List<string> errors)
    {
        if (dto is null)
        {
            errors.Add($"{path}: required ({{ \"warmUpSeconds\", \"beforeSeconds\", \"duringSeconds\", \"recoverySeconds\", \"afterSeconds\" }})");
            return null;
        }

        var warmUp = Between(dto.WarmUpSeconds ?? 0, $"{path}.warmUpSeconds", 0, MaxPhaseSeconds, errors);
        var before = Between(dto.BeforeSeconds, $"{path}.beforeSeconds", 1, MaxPhaseSeconds, errors);
        var during = Between(dto.DuringSeconds, $"{path}.duringSeconds", 1, MaxPhaseSeconds, errors);
        var after = Between(dto.AfterSeconds, $"{path}.afterSeconds", 1, MaxPhaseSeconds, errors);
        var recovery = Between(dto.RecoverySeconds ?? 0, $"{path}.recoverySeconds", 0, MaxPhaseSeconds, errors);
        return warmUp is null || before is null || during is null || after is null || recovery is null
            ? null
            : new PhaseDurations(TimeSpan.FromSeconds(warmUp.Value), TimeSpan.FromSeconds(before.Value), TimeSpan.FromSeconds(during.Value),
                TimeSpan.FromSeconds(after.Value), TimeSpan.FromSeconds(recovery.Value));
    }

    private static FaultAction? ValidateFault(FaultDto? dto, string path, List<string> errors)
    {
        switch (dto?.Type)
        {
            case "process":
                ProcessFaultKind? kind = dto.Action switch
                {
                    "stop" => ProcessFaultKind.Stop,
                    "pause" => ProcessFaultKind.Pause,
                    _ => null,
                };
                if (kind is null)
                {
                    errors.Add($"{path}.action: 'stop' (an immediate stop: a crash) or 'pause' (SIGSTOP: a hung server), not '{dto.Action}'");
                }

                if (dto.Server is null || !ProcessFault.Servers.Contains(dto.Server))
                {
                    errors.Add($"{path}.server: one of {string.Join(", ", ProcessFault.Servers)}, not '{dto.Server}'");
                    return null;
                }

                return kind is null ? null : new ProcessFault(kind.Value, dto.Server);
            case "http":
                var url = Required(dto.Url, $"{path}.url", errors);
                if (url is not null && !url.StartsWith("${", StringComparison.Ordinal) && !Uri.TryCreate(url, UriKind.Absolute, out _))
                {
                    errors.Add($"{path}.url: an absolute URL, or one starting with a ${{variable}} (e.g. ${{payments}}/admin/faults)");
                }

                var method = Method(dto.Method, $"{path}.method", errors);
                var rollbackMethod = Method(dto.RollbackMethod ?? dto.Method, $"{path}.rollbackMethod", errors);
                if (dto.Body is not { ValueKind: JsonValueKind.Object })
                {
                    errors.Add($"{path}.body: a JSON object is required (what the fault sets)");
                }

                if (dto.RollbackBody is not { ValueKind: JsonValueKind.Object })
                {
                    errors.Add($"{path}.rollbackBody: a JSON object is required (what undoes the fault)");
                }

                return url is null || method is null || rollbackMethod is null || dto.Body is not { ValueKind: JsonValueKind.Object } body || dto.RollbackBody is not { ValueKind: JsonValueKind.Object } rollbackBody
                    ? null
                    : new HttpFault(method, url, body.Clone(), rollbackMethod, rollbackBody.Clone(), dto.Admin ?? false);
            default:
                errors.Add($"{path}.type: 'process' (topology.sh stop|pause a server) or 'http' (a JSON body to a URL), not '{dto?.Type}'");
                return null;
        }
    }

    private static HttpMethod? Method(string? method, string path, List<string> errors)
    {
        switch (method ?? "PUT")
        {
            case "PUT": return HttpMethod.Put;
            case "POST": return HttpMethod.Post;
            case "DELETE": return HttpMethod.Delete;
            default:
                errors.Add($"{path}: PUT, POST or DELETE, not '{method}'");
                return null;
        }
    }

    private static Hypothesis? ValidateHypothesis(HypothesisDto? dto, List<string> errors)
    {
        if (dto is null)
        {
            errors.Add("hypothesis: required ({ \"slos\": [...], \"abort\": {...}, \"invariants\": {...} })");
            return null;
        }

        var slos = new List<Slo>();
        if (dto.Slos is not { Count: > 0 })
        {
            errors.Add("hypothesis.slos: at least one SLO is required");
        }
        else
        {
            for (var i = 0; i < dto.Slos.Count; i++)
            {
                if (ValidateSlo(dto.Slos[i], $"hypothesis.slos[{i}]", errors) is { } slo)
                {
                    slos.Add(slo);
                }
            }
        }

        var abort = dto.Abort;
        var window = Between(abort?.WindowSeconds, "hypothesis.abort.windowSeconds", 1, MaxPhaseSeconds, errors);
        var minRequests = Between(abort?.MinRequests, "hypothesis.abort.minRequests", 1, int.MaxValue, errors);
        var availability = Between(abort?.Availability, "hypothesis.abort.availability", 0, 1, errors);
        var factor = Between(abort?.P99Factor, "hypothesis.abort.p99Factor", 1, MaxAbortFactor, errors);
        var settle = dto.Invariants?.PendingSettleWithinSeconds is { } seconds
            ? Between(seconds, "hypothesis.invariants.pendingSettleWithinSeconds", 1, MaxSettleSeconds, errors)
            : null;
        var minForLatency = Between(dto.MinRequestsForLatency ?? DefaultMinRequestsForLatency, "hypothesis.minRequestsForLatency", 1, int.MaxValue, errors);
        if (window is null || minRequests is null || availability is null || factor is null || minForLatency is null)
        {
            return null;
        }

        return new Hypothesis(slos, new AbortPolicy(TimeSpan.FromSeconds(window.Value), (int)minRequests.Value, availability.Value, factor.Value),
            new OrderInvariants(dto.Invariants?.AcknowledgedOrdersFound ?? true, settle is null ? null : TimeSpan.FromSeconds(settle.Value)),
            (int)minForLatency.Value);
    }

    private static Slo? ValidateSlo(SloDto? dto, string path, List<string> errors)
    {
        if (dto is null)
        {
            errors.Add($"{path}: an SLO object is required");
            return null;
        }

        JourneyKind? journey = dto.Journey is { } name && Enum.TryParse<JourneyKind>(name, ignoreCase: true, out var parsed) && parsed != JourneyKind.Endpoint ? parsed : null;
        if (journey is null)
        {
            errors.Add($"{path}.journey: browse, search, cart or checkout, not '{dto.Journey}'");
        }

        HashSet<string>? shards = null;
        if (dto.Shards is not null)
        {
            if (journey is JourneyKind.Browse or JourneyKind.Search)
            {
                errors.Add($"{path}.shards: browse and search are anonymous (no shopper, no shard); only cart and checkout can be scoped to shards");
            }
            else if (dto.Shards.Count == 0 || dto.Shards.Any(s => !System.Text.RegularExpressions.Regex.IsMatch(s ?? "", "^[a-z][a-z0-9]*$")))
            {
                errors.Add($"{path}.shards: physical database names such as \"shard0\", at least one");
            }

            shards = new HashSet<string>(dto.Shards, StringComparer.Ordinal);
        }

        var availability = Between(dto.Availability, $"{path}.availability", 0, 1, errors);
        var p99 = Between(dto.P99Ms, $"{path}.p99Ms", 1, MaxP99Ms, errors);
        var phases = new HashSet<Phase>();
        foreach (var phase in dto.Phases ?? ["before", "during", "after"])
        {
            switch (phase)
            {
                case "before": phases.Add(Phase.Before); break;
                case "during": phases.Add(Phase.During); break;
                case "after": phases.Add(Phase.After); break;
                default: errors.Add($"{path}.phases: before, during or after, not '{phase}'"); break;
            }
        }

        if (phases.Count == 0)
        {
            errors.Add($"{path}.phases: at least one phase (omit the field for all three)");
        }

        return journey is null || availability is null || p99 is null ? null : new Slo(journey.Value, shards, availability.Value, p99.Value, phases);
    }

    private static string? Required(string? value, string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{path}: required");
            return null;
        }

        return value;
    }

    private static double? Between(double? value, string path, double min, double max, List<string> errors)
    {
        if (value is null)
        {
            errors.Add($"{path}: required");
            return null;
        }

        if (double.IsNaN(value.Value) || value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{path}: must be between {min} and {max}, not {value}"));
            return null;
        }

        return value;
    }
}

/// <summary>An experiment file that cannot be run: every problem found, each naming its field.</summary>
public sealed class ExperimentFileException(string source, IReadOnlyList<string> problems)
    : Exception($"{source}: {string.Join("; ", problems)}")
{
    public string File { get; } = source;

    public IReadOnlyList<string> Problems { get; } = problems;
}

internal sealed record ExperimentDto(string? Name, string? Description, LoadDto? Load, PhasesDto? Phases, PhasesDto? Short, List<FaultDto?>? Faults, HypothesisDto? Hypothesis, string? Runbook);

internal sealed record LoadDto(double? Rate, string? Mix, double? Users, double? Sessions, double? Products, double? Categories, double? ThinkMs, bool? Recommendations, double? TimeoutSeconds);

internal sealed record PhasesDto(double? WarmUpSeconds, double? BeforeSeconds, double? DuringSeconds, double? AfterSeconds, double? RecoverySeconds);

internal sealed record FaultDto(string? Type, string? Action, string? Server, string? Method, string? Url, JsonElement? Body, string? RollbackMethod, JsonElement? RollbackBody, bool? Admin);

internal sealed record HypothesisDto(List<SloDto?>? Slos, AbortDto? Abort, InvariantsDto? Invariants, double? MinRequestsForLatency);

internal sealed record SloDto(string? Journey, List<string>? Shards, double? Availability, double? P99Ms, List<string>? Phases);

internal sealed record AbortDto(double? WindowSeconds, double? MinRequests, double? Availability, double? P99Factor);

internal sealed record InvariantsDto(bool? AcknowledgedOrdersFound, double? PendingSettleWithinSeconds);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ExperimentDto))]
internal sealed partial class ExperimentJsonContext : JsonSerializerContext;
