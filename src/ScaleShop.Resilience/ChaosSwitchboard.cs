using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ScaleShop.Resilience;

/// <summary>Faults to inject into one dependency's pipeline.</summary>
public sealed class DependencyFault
{
    /// <summary>Share of calls that fail with an injected exception (0..1).</summary>
    [Range(0.0, 1.0)]
    public double FaultRate { get; set; }

    /// <summary>Share of calls delayed by <see cref="LatencyMs"/> (0..1).</summary>
    [Range(0.0, 1.0)]
    public double LatencyRate { get; set; }

    [Range(0, 600_000)]
    public int LatencyMs { get; set; }

    /// <summary>
    /// Share of calls answered with an injected response of <see cref="OutcomeStatusCode"/> instead of reaching the
    /// dependency (0..1). HTTP dependencies only: a database, the bus or Redis has no response to fake (the admin API
    /// refuses it there; in configuration it is ignored with a warning).
    /// </summary>
    [Range(0.0, 1.0)]
    public double OutcomeRate { get; set; }

    /// <summary>The status of an injected response: an error the client must handle (400–599; 503 by default).</summary>
    [Range(400, 599)]
    public int OutcomeStatusCode { get; set; } = DefaultOutcomeStatusCode;

    public const int DefaultOutcomeStatusCode = 503;

    public bool IsActive => FaultRate > 0 || (LatencyRate > 0 && LatencyMs > 0) || OutcomeRate > 0;
}

/// <summary>
/// Chaos switches (section <c>Chaos</c>). <see cref="Enabled"/> is the global kill switch: while it is false nothing
/// is injected anywhere, whatever <see cref="Dependencies"/> or the admin API say.
/// </summary>
public sealed class ChaosOptions
{
    public const string SectionName = "Chaos";

    public bool Enabled { get; set; }

    /// <summary>
    /// Faults configured at start, by dependency name (e.g. <c>db.shard2</c>, <c>payments</c>; dots, not colons, which
    /// configuration reads as nesting). They take effect once the host has started, so an instance configured with
    /// them still migrates and joins: they stand for a release that misbehaves under traffic, not one that cannot boot.
    /// </summary>
    public Dictionary<string, DependencyFault> Dependencies { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The run-time switchboard every dependency's chaos strategies consult on each call: faults set by an operator
/// (admin API) over those from configuration, all of them behind the kill switch.
/// </summary>
public sealed class ChaosSwitchboard(IOptionsMonitor<ChaosOptions> options, ILogger<ChaosSwitchboard> logger)
{
    private readonly ConcurrentDictionary<string, DependencyFault> _overrides = new(StringComparer.OrdinalIgnoreCase);
    // Each dependency with chaos strategies, and whether it has an outcome strategy (HTTP pipelines only).
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _configuredArmed;

    public bool Enabled => options.CurrentValue.Enabled;

    /// <summary>Dependencies that have a pipeline with chaos strategies in this process.</summary>
    public IReadOnlyCollection<string> Dependencies => _known.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Makes a dependency known; <paramref name="injectsOutcomes"/>: its pipeline can answer with an injected response.</summary>
    public void Register(string dependency, bool injectsOutcomes = false)
    {
        _known.AddOrUpdate(dependency, injectsOutcomes, (_, before) => before || injectsOutcomes);
        if (!injectsOutcomes && options.CurrentValue.Dependencies.GetValueOrDefault(dependency) is { OutcomeRate: > 0 })
        {
            logger.LogWarning("Chaos:Dependencies:{Dependency}:OutcomeRate is ignored: {Dependency} is not an HTTP dependency, it has no response to inject", dependency, dependency);
        }
    }

    public bool IsKnown(string dependency) => _known.ContainsKey(dependency);

    /// <summary>Whether a dependency's pipeline has an outcome strategy (HTTP dependencies); others refuse an outcome rate.</summary>
    public bool InjectsOutcomes(string dependency) => _known.GetValueOrDefault(dependency);

    /// <summary>The faults in force for a dependency now; null when nothing is injected (always null while disabled).</summary>
    public DependencyFault? Current(string dependency)
    {
        var current = options.CurrentValue;
        if (!current.Enabled)
        {
            return null;
        }

        var fault = _overrides.TryGetValue(dependency, out var set) ? set : _configuredArmed ? current.Dependencies.GetValueOrDefault(dependency) : null;
        return fault is { IsActive: true } ? fault : null;
    }

    /// <summary>Sets (or, with an inactive fault, lifts) a dependency's faults. Refused while chaos is disabled.</summary>
    public void Set(string dependency, DependencyFault fault)
    {
        if (!Enabled)
        {
            throw new InvalidOperationException("Chaos is disabled (Chaos:Enabled=false): nothing can be injected.");
        }

        _overrides[dependency] = fault;
        logger.LogWarning("Chaos on {Dependency}: {FaultRate:P0} of calls fail, {LatencyRate:P0} delayed by {LatencyMs} ms, {OutcomeRate:P0} answered {OutcomeStatusCode}",
            dependency, fault.FaultRate, fault.LatencyRate, fault.LatencyMs, fault.OutcomeRate, fault.OutcomeStatusCode);
    }

    /// <summary>Puts the configured faults in force (the host calls this once it has started).</summary>
    public void ArmConfiguredFaults()
    {
        _configuredArmed = true;
        if (Enabled && options.CurrentValue.Dependencies.Values.Any(f => f.IsActive))
        {
            logger.LogWarning("Chaos: faults from configuration are now in force on {Dependencies}",
                string.Join(", ", options.CurrentValue.Dependencies.Where(d => d.Value.IsActive).Select(d => d.Key)));
        }
    }

    /// <summary>Lifts every fault set at run time (configured ones stay, behind the kill switch).</summary>
    public void ClearAll()
    {
        _overrides.Clear();
        logger.LogWarning("Chaos: every run-time fault lifted");
    }

    public IReadOnlyDictionary<string, DependencyFault> Active() =>
        Dependencies.Select(d => (Name: d, Fault: Current(d))).Where(d => d.Fault is not null).ToDictionary(d => d.Name, d => d.Fault!);
}

/// <summary>
/// Start-up validation of <see cref="ChaosOptions"/>: every configured dependency's rates and statuses in range,
/// each error naming its key (<c>Chaos:Dependencies:payments:OutcomeStatusCode</c>).
/// </summary>
public sealed class ChaosOptionsValidator : IValidateOptions<ChaosOptions>
{
    public ValidateOptionsResult Validate(string? name, ChaosOptions options)
    {
        var errors = new List<string>();
        foreach (var (dependency, fault) in options.Dependencies)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(fault, new ValidationContext(fault), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => $"{ChaosOptions.SectionName}:Dependencies:{dependency}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
