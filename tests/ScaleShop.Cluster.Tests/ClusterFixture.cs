namespace ScaleShop.Cluster.Tests;

/// <summary>
/// One cluster for the scenarios under load (two instances of v1 behind the gateway), with short analysis intervals
/// and autoscaling windows so each scenario takes seconds, not minutes.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const double CanaryShare = 0.2;

    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Rollout__CanaryShare"] = CanaryShare.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Rollout__AnalysisInterval"] = "00:00:02",
        // A slow canary takes far less than its share (the balancer passes over a destination holding requests longer):
        // 3 % instead of 20 % measured, ~110 requests in 20–30 s; on a busier box that could need more than a minute.
        ["Rollout__MaxAnalysisDuration"] = "00:02:00",
        ["Rollout__CanaryWarmUp"] = "00:00:06", // its cold start is left out of the latency comparison
        ["Rollout__KeepPreviousWarmFor"] = "00:10:00",
        ["Rollout__Canary__MinRequests"] = "80",
        ["Rollout__Canary__MinRequestsForFastFail"] = "20",
        // A fresh process on this 2-core box (tiered JIT still recompiling beside a dozen other processes) has a p99
        // 100–200 ms above a warm one's for its first half minute even after its warm-up; 50 ms (the default)
        // failed a good canary on that alone. A really slow release is slower by far more than this.
        ["Rollout__Canary__AllowedLatencyIncreaseMs"] = "300",
        ["Autoscale__Enabled"] = "false",
        ["Autoscale__Interval"] = "00:00:02",
        ["Autoscale__MinInstances"] = "1",
        ["Autoscale__MaxInstances"] = "3",
        ["Autoscale__TargetPerInstance"] = "40", // one paced worker (≤ 25 req/s) needs one instance; eight need the maximum
        ["Autoscale__ScaleUpStabilization"] = "00:00:00",
        ["Autoscale__ScaleDownStabilization"] = "00:00:06",
        ["Autoscale__ScaleDownCooldown"] = "00:00:06",
    };

    public ClusterProcess Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await ClusterProcess.StartAsync(2, Settings, CancellationToken.None);

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>The load every scenario runs: a few workers with a short pause (about 50–80 requests/s on two cores).</summary>
    public SteadyLoad Load(int workers = 4)
    {
        var load = new SteadyLoad(Cluster.PublicUrl, TimeSpan.FromMilliseconds(40), ClusterProcess.Users, ClusterProcess.Products, ClusterProcess.Categories);
        load.SetWorkers(workers);
        return load;
    }
}

/// <summary>The cluster tests start a dozen processes and load them: nothing else heavy may run beside them.</summary>
[CollectionDefinition(nameof(AloneOnTheMachine), DisableParallelization = true)]
public sealed class AloneOnTheMachine : ICollectionFixture<ClusterFixture>;
