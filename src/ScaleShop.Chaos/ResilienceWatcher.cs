namespace ScaleShop.Chaos;

/// <summary>
/// Polls the storefront's circuit breakers once a second and keeps every change of state with its time and
/// phase: when a breaker opened after the fault, and when it closed after the rollback.
/// </summary>
public sealed class ResilienceWatcher(StorefrontAdmin storefront, ChaosRecorder clock, Func<Phase> phase)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly List<BreakerTransition> _transitions = [];
    private readonly Dictionary<string, string> _last = new(StringComparer.Ordinal);
    private int _failedPolls;

    public IReadOnlyList<BreakerTransition> Transitions
    {
        get
        {
            lock (_transitions)
            {
                return _transitions.ToList();
            }
        }
    }

    /// <summary>Polls that got no answer in time (the storefront itself too busy or stuck to report).</summary>
    public int FailedPolls => Volatile.Read(ref _failedPolls);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(PollInterval);
                Observe(await storefront.CircuitsAsync(attempt.Token));
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedPolls);
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Observe(IReadOnlyDictionary<string, string> circuits)
    {
        foreach (var (dependency, state) in circuits)
        {
            var known = _last.TryGetValue(dependency, out var previous);
            if (known && previous != state)
            {
                lock (_transitions)
                {
                    _transitions.Add(new BreakerTransition(clock.Now, phase(), dependency, previous!, state));
                }
            }

            _last[dependency] = state;
        }
    }
}

public sealed record BreakerTransition(TimeSpan At, Phase Phase, string Dependency, string From, string To);
