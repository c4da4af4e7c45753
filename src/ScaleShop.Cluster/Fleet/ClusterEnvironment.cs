using System.Globalization;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Hosting;

namespace ScaleShop.Cluster.Fleet;

/// <summary>
/// What every storefront instance is told: where the shared databases are (the state folder's SQLite files, or the
/// production topology's servers), where the payment provider and recommendations service answer, who the admin is
/// (the controller reads each instance's SLO report as that admin), which version it is, and which migration scripts
/// it runs: its version's published folder, the one the rollout's expand/contract check read.
/// </summary>
public sealed class ClusterEnvironment(IOptions<ClusterOptions> options, ClusterSecrets secrets, Microsoft.Extensions.Configuration.IConfiguration configuration)
{
    /// <summary>Settings of the production topology, passed through from the controller's environment (<c>deploy/local/topology.sh env</c>).</summary>
    public static readonly string[] TopologyPrefixes = ["Storage__", "ConnectionStrings__", "Messaging__", "Caching__"];

    public Uri? PaymentProvider { get; set; }

    public Uri? Recommendations { get; set; }

    public Dictionary<string, string> ForStorefront(string instanceId, string version, Uri address, IReadOnlyDictionary<string, string> release, string migrations)
    {
        var cluster = options.Value;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["Payments__BaseUrl"] = (PaymentProvider ?? throw new InvalidOperationException("The payment provider is not running.")).ToString(),
            ["Recommendations__BaseUrl"] = (Recommendations ?? throw new InvalidOperationException("The recommendations service is not running.")).ToString(),
            ["Shutdown__DrainDelay"] = cluster.InstanceDrainDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Admin__Email"] = secrets.AdminEmail,
            ["Admin__Password"] = secrets.AdminPassword,
            // The version in every log line and metric: OpenTelemetry's resource, and a plain variable for the rest.
            ["SCALESHOP_VERSION"] = version,
            ["SCALESHOP_INSTANCE"] = instanceId,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.version={version},service.instance.id={instanceId}",
        };
        switch (cluster.Topology)
        {
            case ClusterTopology.Embedded:
                // One set of SQLite files for every instance (WAL: several processes read and write them).
                environment["Storage__Provider"] = "Sqlite";
                environment["Storage__DataDirectory"] = cluster.DataDirectory;
                break;
            case ClusterTopology.Postgres:
                foreach (var (key, value) in TopologySettings())
                {
                    environment[key] = value;
                }

                break;
        }

        foreach (var (key, value) in ClusterOptions.StorefrontSettings(configuration))
        {
            environment[key] = value;
        }

        // The release's own settings last: a release may differ from the cluster's in configuration.
        foreach (var (key, value) in release)
        {
            environment[key] = value;
        }

        // After the release's settings: nothing may point an instance at scripts other than the ones that were checked.
        environment["Storage__MigrationScriptsDirectory"] = migrations;
        return environment;
    }

    /// <summary>The production topology's settings from this process's environment; refuses to start without them.</summary>
    public static IReadOnlyDictionary<string, string> TopologySettings()
    {
        var settings = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => (Key: (string)e.Key, Value: e.Value as string ?? ""))
            .Where(e => TopologyPrefixes.Any(prefix => e.Key.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!settings.TryGetValue("Storage__Postgres__Catalog__Primary", out var catalog) || catalog.Length == 0)
        {
            throw new InvalidOperationException(
                "Cluster:Topology is Postgres but Storage__Postgres__Catalog__Primary is not set: export the topology's settings first (eval \"$(deploy/local/topology.sh env)\").");
        }

        settings["Storage__Provider"] = "Postgres";
        return settings;
    }
}
