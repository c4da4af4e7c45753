using System.Data.Common;
using System.Globalization;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Kubernetes.Tests.Infrastructure;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>
/// The storefront's databases as it is configured to find them, against the CloudNativePG clusters that hold
/// them: the shard map's physical databases, where each lives, its replica, its owner and password, and the
/// connections the autoscaled fleet may open.
/// </summary>
public sealed class DataTests
{
    private const string Prefix = "Storage__Postgres__";

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_physical_database_of_the_shard_map_has_a_primary(string overlay)
    {
        var environment = Environment(overlay);
        var defaults = new StorageOptions();
        var logical = Int(environment, "Storage__LogicalShards", defaults.LogicalShards);
        var physical = Int(environment, "Storage__PhysicalShards", defaults.PhysicalShards);
        var expected = ShardMap.CreateDefault(logical, physical).PhysicalDatabases.Order(StringComparer.Ordinal);
        var configured = environment.Keys.Where(k => k.StartsWith(Prefix + "Shards__", StringComparison.Ordinal) && k.EndsWith("__Primary", StringComparison.Ordinal))
            .Select(k => k.Split("__")[3]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, configured);
        Assert.Equal(StorageOptions.PostgresProvider, environment["Storage__Provider"].Value);
        Assert.NotNull(environment.GetValueOrDefault(Prefix + "Catalog__Primary"));
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_connection_string_names_a_database_its_cluster_creates_with_that_owner_and_password(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var environment = Environment(overlay);
        foreach (var (key, connection) in ConnectionStrings(environment))
        {
            var (cluster, role) = Cluster(rendered, connection.Host);
            var isReplica = key.Contains("__Replicas__", StringComparison.Ordinal);
            Assert.True(role == (isReplica ? "ro" : "rw"), $"{overlay}: {key} goes to {connection.Host}: a {(isReplica ? "replica" : "primary")} is reached through <cluster>-{(isReplica ? "ro" : "rw")}.");
            if (isReplica)
            {
                Assert.True(cluster.IntAt("spec.instances") >= 2, $"{overlay}: {key}: {cluster.StringAt("metadata.name")} has no replica.");
            }

            var databases = Databases(rendered, cluster);
            Assert.True(databases.TryGetValue(connection.Database, out var owner), $"{overlay}: {key}: {cluster.StringAt("metadata.name")} creates no database {connection.Database}.");
            Assert.Equal(owner, connection.Username);

            // The password is the generated one of the cluster's owner: $(VAR), VAR from <cluster>-app.password.
            var variable = connection.Password.TrimStart('$', '(').TrimEnd(')');
            var secret = environment[variable];
            Assert.Equal((cluster.StringAt("metadata.name") + "-app", "password"), (secret.SecretName, secret.SecretKey));
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void The_databases_are_created_by_the_operator_not_the_storefront(string overlay)
    {
        // The role initdb makes the owner cannot CREATE DATABASE; the storefront must not try.
        Assert.Equal("false", Environment(overlay)[Prefix + nameof(PostgresStorageOptions.CreateMissingDatabases)].Value);
    }

    /// <summary>
    /// Npgsql keeps a pool of up to MaxPoolSize connections per connection string and process: at the
    /// autoscaler's maximum the storefront may hold maxReplicas x MaxPoolSize per database on a server, which
    /// must fit in the server's max_connections (less the superuser reserve).
    /// </summary>
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void The_autoscaled_fleets_connection_pools_fit_in_every_server(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var environment = Environment(overlay);
        var pool = Int(environment, Prefix + nameof(PostgresStorageOptions.MaxPoolSize), new PostgresStorageOptions().MaxPoolSize);
        var instances = rendered.OfKind("HorizontalPodAutoscaler").Single().IntAt("spec.maxReplicas")!.Value;
        const int superuserReserved = 3;
        foreach (var server in ConnectionStrings(environment).GroupBy(c => c.Connection.Host))
        {
            var (cluster, _) = Cluster(rendered, server.Key);
            var maxConnections = cluster.IntAt("spec.postgresql.parameters.max_connections") ?? 100;
            var needed = instances * pool * server.Select(c => c.Connection.Database).Distinct().Count();
            Assert.True(needed <= maxConnections - superuserReserved,
                $"{overlay}: {server.Key}: {instances} storefronts x {pool} pooled x databases = {needed} connections, max_connections {maxConnections}.");
        }
    }

    private static Dictionary<string, EnvironmentEntry> Environment(string overlay) => ProcessTests.Pod(overlay, App.Storefront.Workload).Environment;

    private static int Int(Dictionary<string, EnvironmentEntry> environment, string key, int fallback) =>
        environment.GetValueOrDefault(key)?.Value is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    private static IEnumerable<(string Key, Connection Connection)> ConnectionStrings(Dictionary<string, EnvironmentEntry> environment) =>
        environment.Values
            .Where(e => e.Name.StartsWith(Prefix, StringComparison.Ordinal) && (e.Name.EndsWith("__Primary", StringComparison.Ordinal) || e.Name.Contains("__Replicas__", StringComparison.Ordinal)))
            .Select(e => (e.Name, Connection.Parse(e.Value!)));

    /// <summary>CloudNativePG's Services: &lt;cluster&gt;-rw (primary), -ro (replicas), -r (any).</summary>
    private static (Dictionary<string, object?> Cluster, string Role) Cluster(Overlay rendered, string host)
    {
        var dash = host.LastIndexOf('-');
        var cluster = dash > 0 ? rendered.Find("Cluster", host[..dash]) : null;
        Assert.True(cluster is not null, $"{rendered.Name}: {host} is not the Service of a CloudNativePG Cluster here.");
        return (cluster, host[(dash + 1)..]);
    }

    /// <summary>Database name to owner: initdb's database, and the Database resources of the cluster.</summary>
    private static Dictionary<string, string> Databases(Overlay rendered, Dictionary<string, object?> cluster)
    {
        var name = cluster.StringAt("metadata.name");
        var databases = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [cluster.StringAt("spec.bootstrap.initdb.database")!] = cluster.StringAt("spec.bootstrap.initdb.owner")!,
        };
        foreach (var database in rendered.OfKind("Database").Where(d => d.StringAt("spec.cluster.name") == name))
        {
            databases.Add(database.StringAt("spec.name")!, database.StringAt("spec.owner")!);
        }

        return databases;
    }

    private sealed record Connection(string Host, string Database, string Username, string Password)
    {
        public static Connection Parse(string value)
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = value };
            string Get(string key) => builder.TryGetValue(key, out var v) ? (string)v : throw new InvalidDataException($"{value}: no {key}.");
            return new Connection(Get("Host"), Get("Database"), Get("Username"), Get("Password"));
        }
    }
}
