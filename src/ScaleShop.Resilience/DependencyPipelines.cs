using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Polly;
using Polly.CircuitBreaker;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using Polly.Simmy.Outcomes;
using System.Net;

namespace ScaleShop.Resilience;

/// <summary>
/// Circuit breakers by dependency name, so their states can be shown (admin API) and exported: the gauge
/// <c>scaleshop.circuit.state</c> per dependency, 0 closed, 1 open, 2 half-open, 3 isolated (Polly's CircuitState).
/// </summary>
public sealed class CircuitStates
{
    public const string MeterName = "ScaleShop.Resilience";

    private readonly ConcurrentDictionary<string, CircuitBreakerStateProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CircuitState> _reported = new(StringComparer.OrdinalIgnoreCase);

    public CircuitStates(IMeterFactory meterFactory) =>
        meterFactory.Create(MeterName).CreateObservableGauge("scaleshop.circuit.state",
            () => Snapshot().Select(circuit => new Measurement<int>((int)circuit.Value, new KeyValuePair<string, object?>("dependency", circuit.Key))),
            unit: "{state}", description: "Each dependency's circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated.");

    /// <summary>A state provider for a dependency's breaker (the same one on every call with that name).</summary>
    public CircuitBreakerStateProvider For(string dependency) => _providers.GetOrAdd(dependency, _ => new CircuitBreakerStateProvider());

    /// <summary>The state of a breaker that is not Polly's (FusionCache's own around Redis), as its events report it.</summary>
    public void Report(string dependency, CircuitState state) => _reported[dependency] = state;

    public IReadOnlyDictionary<string, CircuitState> Snapshot() =>
        _providers.Select(p => (p.Key, State: p.Value.CircuitState)).Concat(_reported.Select(r => (r.Key, State: r.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.State);
}

/// <summary>Thrown by an injected fault; names the dependency so logs and tests can tell it from a real failure.</summary>
public sealed class InjectedFaultException(string dependency) : Exception($"Chaos: injected failure of {dependency}.")
{
    public string Dependency { get; } = dependency;
}

public static class DependencyChaosExtensions
{
    /// <summary>
    /// Latency and fault chaos strategies for <paramref name="dependency"/>, innermost in its pipeline (so its
    /// retries, breaker and timeouts meet the injected faults as they would real ones). Both consult the
    /// switchboard on every call and inject nothing while chaos is disabled.
    /// </summary>
    public static TBuilder AddDependencyChaos<TBuilder>(this TBuilder builder, string dependency, ChaosSwitchboard chaos, Func<Exception>? fault = null)
        where TBuilder : ResiliencePipelineBuilderBase
    {
        chaos.Register(dependency);
        return builder.AddLatencyAndFault(dependency, chaos, fault);
    }

    /// <summary>
    /// The chaos strategies of an HTTP dependency: latency and fault as <see cref="AddDependencyChaos"/>, and
    /// innermost an outcome strategy that answers a share of calls (<see cref="DependencyFault.OutcomeRate"/>) with
    /// an injected response of <see cref="DependencyFault.OutcomeStatusCode"/> without calling the dependency, so
    /// the client's handling of error statuses is exercised, not only of exceptions. Like the others it reads the
    /// switchboard on every call and injects nothing while chaos is disabled.
    /// </summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddHttpDependencyChaos(this ResiliencePipelineBuilder<HttpResponseMessage> builder,
        string dependency, ChaosSwitchboard chaos, Func<Exception> fault)
    {
        chaos.Register(dependency, injectsOutcomes: true);
        return builder.AddLatencyAndFault(dependency, chaos, fault)
            .AddChaosOutcome(new ChaosOutcomeStrategyOptions<HttpResponseMessage>
            {
                EnabledGenerator = _ => ValueTask.FromResult(chaos.Current(dependency) is { OutcomeRate: > 0 }),
                InjectionRateGenerator = _ => ValueTask.FromResult(chaos.Current(dependency)?.OutcomeRate ?? 0),
                OutcomeGenerator = _ => ValueTask.FromResult<Outcome<HttpResponseMessage>?>(Outcome.FromResult(
                    InjectedResponse(dependency, chaos.Current(dependency)?.OutcomeStatusCode ?? DependencyFault.DefaultOutcomeStatusCode))),
            });
    }

    private static TBuilder AddLatencyAndFault<TBuilder>(this TBuilder builder, string dependency, ChaosSwitchboard chaos, Func<Exception>? fault)
        where TBuilder : ResiliencePipelineBuilderBase
    {
        builder.AddChaosLatency(new ChaosLatencyStrategyOptions
        {
            EnabledGenerator = _ => ValueTask.FromResult(chaos.Current(dependency) is { LatencyRate: > 0, LatencyMs: > 0 }),
            InjectionRateGenerator = _ => ValueTask.FromResult(chaos.Current(dependency)?.LatencyRate ?? 0),
            LatencyGenerator = _ => ValueTask.FromResult(TimeSpan.FromMilliseconds(chaos.Current(dependency)?.LatencyMs ?? 0)),
        });
        builder.AddChaosFault(new ChaosFaultStrategyOptions
        {
            EnabledGenerator = _ => ValueTask.FromResult(chaos.Current(dependency) is { FaultRate: > 0 }),
            InjectionRateGenerator = _ => ValueTask.FromResult(chaos.Current(dependency)?.FaultRate ?? 0),
            FaultGenerator = _ => ValueTask.FromResult<Exception?>(fault?.Invoke() ?? new InjectedFaultException(dependency)),
        });
        return builder;
    }

    /// <summary>An error response as a dependency would send it: problem details that say it was injected.</summary>
    private static HttpResponseMessage InjectedResponse(string dependency, int status) => new((HttpStatusCode)status)
    {
        ReasonPhrase = "Chaos: injected response",
        Content = new StringContent($$"""{"title":"Chaos: injected response","status":{{status}},"detail":"Chaos: injected {{status}} from {{dependency}}."}""",
            System.Text.Encoding.UTF8, "application/problem+json"),
    };
}
