using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Cluster.Hosting;

/// <summary>Where the cluster lives and how its processes are started and stopped (section <c>Cluster</c>).</summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Cluster";

    /// <summary>Versions, the shared data folder (embedded topology), logs, keys and the controller's own record.</summary>
    [Required]
    public string StateDirectory { get; set; } = "/var/tmp/scaleshop-cluster";

    /// <summary>The control API (<c>scaleshop cluster status|down</c>, <c>deploy</c>, ...): loopback only.</summary>
    [Required]
    public Uri ControlUrl { get; set; } = new("http://127.0.0.1:5070/");

    /// <summary>The gateway's public address: what clients use.</summary>
    [Required]
    public Uri PublicUrl { get; set; } = new("http://127.0.0.1:5080/");

    [Required]
    public Uri GatewayAdminUrl { get; set; } = new("http://127.0.0.1:5071/");

    public ClusterTopology Topology { get; set; } = ClusterTopology.Embedded;

    /// <summary>Storefront instances started by <c>cluster up</c>.</summary>
    [Range(1, 32)]
    public int Instances { get; set; } = 2;

    /// <summary>The version <c>cluster up</c> starts; null: the newest published one.</summary>
    public string? InitialVersion { get; set; }

    /// <summary>The repository whose build output holds the gateway, payment provider and recommendations service; null: found from this binary's folder.</summary>
    public string? RepositoryRoot { get; set; }

    [Required]
    public string BuildConfiguration { get; set; } = "Release";

    /// <summary>
    /// The section of settings every storefront instance gets on top of the topology's (e.g.
    /// <c>Cluster:StorefrontEnvironment:Seed:Products</c> becomes <c>Seed__Products</c>). Read by
    /// <see cref="StorefrontSettings"/>, not bound: a dictionary binding would drop nested keys.
    /// </summary>
    public const string StorefrontEnvironmentSection = SectionName + ":StorefrontEnvironment";

    /// <summary>Every value under <see cref="StorefrontEnvironmentSection"/>, as environment variable names.</summary>
    public static Dictionary<string, string> StorefrontSettings(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration.GetSection(StorefrontEnvironmentSection).AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal), pair => pair.Value!, StringComparer.Ordinal);

    /// <summary>How long a started process may take to answer its readiness probe.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>After SIGTERM, how long a process may take to exit before it is killed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An instance's own <c>Shutdown:DrainDelay</c>. The gateway has already stopped sending it requests before it
    /// gets SIGTERM, so it needs only a short one (for a request the gateway had just sent).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan InstanceDrainDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a draining destination may keep requests in flight at the gateway before it is stopped anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan GatewayDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Requests a new instance gets from the controller after it is ready and before it joins the gateway (catalog,
    /// product and search reads): a cold process (JIT, empty caches, no pooled connections) would otherwise serve its
    /// first clients slowly — and a canary's cold p99 fails a latency comparison it does not deserve to fail.
    /// </summary>
    [Range(0, 10_000)]
    public int WarmUpRequests { get; set; } = 200;

    /// <summary>Between two readiness probes, two looks at a draining destination.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Between two checks that the fixed parts still run.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SuperviseInterval { get; set; } = TimeSpan.FromSeconds(1);

    public string VersionsDirectory => Path.Combine(StateDirectory, "versions");

    public string DataDirectory => Path.Combine(StateDirectory, "data");

    public string LogsDirectory => Path.Combine(StateDirectory, "logs");
}

public enum ClusterTopology
{
    /// <summary>SQLite files in the state folder shared by every instance, in-process cache and bus per instance.</summary>
    Embedded,

    /// <summary>The PostgreSQL shards, Redis and NATS of <c>deploy/local/topology.sh env</c>, read from the controller's environment.</summary>
    Postgres,
}

[OptionsValidator]
public sealed partial class ClusterOptionsValidator : IValidateOptions<ClusterOptions>;
