using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using ScaleShop.Resilience;
using ScaleShop.Slo;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>Scores one point of one series: true when the point is anomalous (after the scorer's own calibration and suppression).</summary>
public interface IAnomalyScorer
{
    bool Update(string series, DateTimeOffset at, double value, out double score);
}

/// <summary>
/// Every <see cref="AnomaliesOptions.SampleInterval"/>: one point per series of this instance — per journey its
/// request rate, error ratio and p99; per dependency (every Polly pipeline: databases, payments, recommendations,
/// the bus) its p99 and failure ratio; the cache hit ratio; replica lag; outbox publish lag — scored by the
/// detector, plus every firing SLO burn alert; what is anomalous is filed as signals of an incident.
/// </summary>
public sealed class SeriesSampler : BackgroundService
{
    private const string PollyMeter = "Polly";
    private const string PollyPipelineDuration = "resilience.polly.pipeline.duration";
    private const string PublishLag = "scaleshop.outbox.publish_lag";
    private const int LatencyReservoir = 1024;

    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, IntervalStats> _dependencies = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _pipelineDependencies = new(StringComparer.Ordinal);
    private readonly IAnomalyScorer _scorer;
    private readonly IncidentStore _incidents;
    private readonly JourneyWindows _journeys;
    private readonly SloObjectives _objectives;
    private readonly TimeProvider _time;
    private readonly IOptions<AnomaliesOptions> _options;
    private readonly ILogger<SeriesSampler> _logger;
    private readonly ChaosSwitchboard _knownDependencies;
    private readonly InstrumentReadings _readings;
    private CacheReading _lastCache = new(0, 0, 0);
    private double _publishLagSum;
    private long _publishLagCount;

    public SeriesSampler(IAnomalyScorer scorer, IncidentStore incidents, JourneyWindows journeys, SloObjectives objectives, ChaosSwitchboard knownDependencies,
        InstrumentReadings readings, IMeterFactory meters, TimeProvider time, IOptions<AnomaliesOptions> options, ILogger<SeriesSampler> logger)
    {
        (_scorer, _incidents, _journeys, _objectives, _knownDependencies, _readings, _time, _options, _logger) =
            (scorer, incidents, journeys, objectives, knownDependencies, readings, time, options, logger);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Polly's meter is the process's own; ScaleShop's are this container's (IMeterFactory scope). Cache
            // lookups and replica lag are read through InstrumentReadings, which the dashboard shares.
            if ((instrument.Meter.Name == PollyMeter && instrument.Name == PollyPipelineDuration)
                || (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == PublishLag))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnDouble);
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Value.SampleInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SampleOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The catalog database may be what is failing: signals are lost for this tick, the next tick scores again.
                _logger.LogWarning(e, "Anomaly signals could not be filed this interval.");
            }
        }
    }

    /// <summary>One interval: sample, score, file what is anomalous. Returns the signals filed.</summary>
    public async Task<IReadOnlyList<AnomalySignal>> SampleOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var signals = new List<AnomalySignal>();
        foreach (var (series, value) in Sample(now))
        {
            if (_scorer.Update(series, now, value, out var score))
            {
                signals.Add(new AnomalySignal(series, SeriesNames.ComponentOf(series), SignalKinds.Anomaly, now, value, score));
            }
        }

        // An alert's windows mean what they say only once the instance has lived through its long window: before
        // that, a young instance's few minutes (cold caches, JIT) stand for "the last hour" and page on a cold start.
        var lived = now - _journeys.Start;
        var longWindows = _objectives.Alerts.ToDictionary(a => a.Name, a => a.LongWindow.Length, StringComparer.Ordinal);
        foreach (var alert in SloEvaluator.Evaluate(_objectives, _journeys, now).Firing.Where(a => lived >= longWindows[a.Alert]))
        {
            signals.Add(new AnomalySignal(SeriesNames.Journey(alert.Journey, $"slo_{alert.Sli}_{alert.Alert}"), SeriesNames.JourneyComponent(alert.Journey),
                alert.Severity == "page" ? SignalKinds.SloPage : SignalKinds.SloTicket, now, alert.BurnRateLong, alert.BurnRateShort));
        }

        // Causes before symptoms within a tick: the first cause is the root-cause hint.
        signals.Sort((a, b) => b.IsCause.CompareTo(a.IsCause));
        if (signals.Count > 0)
        {
            var incident = await _incidents.RecordAsync(signals, _options.Value.GroupWindow, cancellationToken);
            _logger.LogInformation("{Count} anomalous series filed into incident {IncidentId} ({Component}, {Severity}).", signals.Count, incident?.Id, incident?.Component, incident?.Severity);
        }

        return signals;
    }

    private List<(string Series, double Value)> Sample(DateTimeOffset now)
    {
        var points = new List<(string, double)>();
        // The last complete bucket of each journey (the current one is still filling).
        foreach (var journey in _journeys.Journeys)
        {
            var bucket = _journeys.Series(journey, _journeys.BucketWidth * 2, now)[0];
            points.Add((SeriesNames.Journey(journey, "rate"), bucket.RequestsPerSecond));
            if (bucket.Requests >= _options.Value.MinimumRequestsPerPoint)
            {
                points.Add((SeriesNames.Journey(journey, "error_ratio"), bucket.ErrorRatio));
                points.Add((SeriesNames.Journey(journey, "p99_ms"), bucket.P99Ms!.Value));
            }
        }

        // The cache's hit ratio over this interval (the readings count since start), and the worst replica's lag.
        var cache = _readings.Cache();
        var lookups = cache.Lookups - _lastCache.Lookups;
        if (lookups > 0)
        {
            points.Add((SeriesNames.Dependency("cache", "hit_ratio"), (double)(cache.Hits + cache.StaleHits - _lastCache.Hits - _lastCache.StaleHits) / lookups));
        }

        _lastCache = cache;
        if (_readings.Replicas().Values.SelectMany(r => r).Where(r => r.LagBytes is not null).Select(r => r.LagBytes!.Value).DefaultIfEmpty(-1).Max() is var lag and >= 0)
        {
            points.Add((SeriesNames.Dependency("db.replica", "lag_bytes"), lag));
        }

        lock (_lock)
        {
            foreach (var (dependency, stats) in _dependencies)
            {
                if (stats.Calls >= _options.Value.MinimumRequestsPerPoint)
                {
                    points.Add((SeriesNames.Dependency(dependency, "p99_ms"), stats.P99()));
                    points.Add((SeriesNames.Dependency(dependency, "failure_ratio"), (double)stats.Failures / stats.Calls));
                }

                stats.Reset();
            }

            if (_publishLagCount > 0)
            {
                points.Add((SeriesNames.Dependency("bus", "publish_lag_ms"), _publishLagSum / _publishLagCount));
            }

            (_publishLagSum, _publishLagCount) = (0, 0);
        }

        return points;
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == PollyPipelineDuration)
        {
            string? pipeline = null;
            var failed = false;
            foreach (var tag in tags)
            {
                pipeline = tag.Key == "pipeline.name" ? tag.Value as string : pipeline;
                failed |= tag.Key == "exception.type";
            }

            if (pipeline is not null && DependencyOf(pipeline) is { } dependency)
            {
                lock (_lock)
                {
                    if (!_dependencies.TryGetValue(dependency, out var stats))
                    {
                        _dependencies[dependency] = stats = new IntervalStats(LatencyReservoir);
                    }

                    stats.Add(value, failed);
                }
            }

            return;
        }

        lock (_lock)
        {
            _publishLagSum += value;
            _publishLagCount++;
        }
    }

    /// <summary>
    /// The dependency a pipeline guards: every dependency registers with the chaos switchboard under its name
    /// (db.shard2, payments, recommendations.feed), and HTTP clients' pipelines carry it in theirs
    /// ("PaymentProviderClient-payments-chaos"); the longest name contained wins (recommendations.feed over
    /// recommendations). Pipelines of no dependency (the notifier's own webhooks) are not series.
    /// </summary>
    private string? DependencyOf(string pipeline) =>
        _pipelineDependencies.GetOrAdd(pipeline, name => _knownDependencies.Dependencies
            .Where(d => name == d || name.Contains($"-{d}", StringComparison.Ordinal))
            .MaxBy(d => d.Length));

    /// <summary>Calls of one dependency in the interval: count, failures, and a bounded reservoir of latencies for the p99.</summary>
    private sealed class IntervalStats(int capacity)
    {
        private readonly double[] _latencies = new double[capacity];

        public long Calls { get; private set; }

        public long Failures { get; private set; }

        public void Add(double latency, bool failed)
        {
            // Reservoir sampling keeps a uniform sample of any number of calls in fixed memory.
            var slot = Calls < capacity ? (int)Calls : Random.Shared.NextInt64(Calls + 1) is var pick && pick < capacity ? (int)pick : -1;
            if (slot >= 0)
            {
                _latencies[slot] = latency;
            }

            Calls++;
            Failures += failed ? 1 : 0;
        }

        public double P99()
        {
            var sample = _latencies.AsSpan(0, (int)Math.Min(Calls, capacity)).ToArray();
            Array.Sort(sample);
            return sample[Math.Min(sample.Length - 1, (int)Math.Ceiling(sample.Length * 0.99) - 1)];
        }

        public void Reset() => (Calls, Failures) = (0, 0);
    }
}
