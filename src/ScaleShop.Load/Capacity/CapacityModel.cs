using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleShop.Load.Capacity;

/// <summary>
/// What the plan assumes about the population and what it takes from other measurements (<c>load/capacity.json</c>).
/// Every figure is written down with where it comes from, so that the plan can be argued with.
/// </summary>
public sealed record CapacityAssumptions
{
    public double DailyActiveUsers { get; init; } = 1_000_000;

    /// <summary>Share of the day's users active in the busiest hour.</summary>
    public double PeakHourShareOfDailyUsers { get; init; } = 0.15;

    /// <summary>Journeys (a browse, a search, a cart change, a checkout) an active user makes in that hour.</summary>
    public double JourneysPerActiveUserPerHour { get; init; } = 6;

    /// <summary>Shares of journeys that write (the rest read the catalog).</summary>
    public double CartShare { get; init; } = 0.08;

    public double CheckoutShare { get; init; } = 0.02;

    /// <summary>Run instances at most at this share of the measured knee, so that a burst does not reach it.</summary>
    public double TargetUtilization { get; init; } = 0.7;

    /// <summary>Zones; the fleet must carry the peak with one zone lost.</summary>
    public int Zones { get; init; } = 3;

    /// <summary>Share of catalog reads answered by the cache (memory, then Redis).</summary>
    public double CacheHitRatio { get; init; } = 0.95;

    /// <summary>Catalog reads that miss the cache one replica serves per second (benchmarks/reads.sh).</summary>
    public double CatalogMissReadsPerReplicaPerSecond { get; init; } = 3_000;

    /// <summary>Write transactions one physical user shard commits per second.</summary>
    public double ShardWriteTransactionsPerSecond { get; init; } = 1_338;

    /// <summary>Write transactions on the user's shard per checkout (claim the key, write the order) and per cart change.</summary>
    public double ShardWritesPerCheckout { get; init; } = 2;

    public double ShardWritesPerCartJourney { get; init; } = 1;

    /// <summary>Orders per second the catalog primary takes (stock reservations): the one shared write.</summary>
    public double CatalogOrdersPerSecond { get; init; } = 669;

    public int LogicalShards { get; init; } = 64;

    public static CapacityAssumptions Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), CapacityJsonContext.Default.CapacityAssumptions) ?? throw new InvalidDataException($"{path} is empty.");
}

/// <summary>One line of the plan: what, how many, and how it was worked out.</summary>
public sealed record CapacityLine(string Quantity, double Value, string Unit, string Working);

public sealed record CapacityPlan(IReadOnlyList<CapacityLine> Lines, IReadOnlyList<string> Warnings)
{
    public double Value(string quantity) => Lines.Single(l => l.Quantity == quantity).Value;
}

/// <summary>
/// Turns a load run's knee (one instance's requests per second within the objectives, and what those requests
/// were) and the assumptions into instances, shards and replicas for the peak hour, with a zone's worth of spare.
/// </summary>
public static class CapacityModel
{
    public const string PeakJourneys = "peak journeys/s";
    public const string PeakRequests = "peak requests/s";
    public const string Instances = "storefront instances";
    public const string PhysicalShards = "physical user shards";
    public const string CatalogReplicas = "catalog read replicas";

    /// <summary>A run's <c>summary.json</c> (written by <see cref="LoadReport"/>).</summary>
    public static LoadReport.Summary ReadRun(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), CapacityJsonContext.Default.Summary) ?? throw new InvalidDataException($"{path} is empty.");

    /// <summary>The plan as a Markdown table, with its warnings.</summary>
    public static string ToMarkdown(CapacityPlan plan)
    {
        var text = new System.Text.StringBuilder("| Quantity | Value | Unit | Working |\n|---|---:|---|---|\n");
        foreach (var line in plan.Lines)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"| {line.Quantity} | {line.Value:#,0.##} | {line.Unit} | {line.Working} |\n");
        }

        foreach (var warning in plan.Warnings)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n**Warning:** {warning}\n");
        }

        return text.ToString();
    }

    public static CapacityPlan Plan(LoadReport.Summary run, CapacityAssumptions a)
    {
        var knee = KneeWindow(run);
        var lines = new List<CapacityLine>();
        var warnings = new List<string>();
        void Add(string quantity, double value, string unit, string working) => lines.Add(new CapacityLine(quantity, value, unit, working));

        var peakUsers = a.DailyActiveUsers * a.PeakHourShareOfDailyUsers;
        var peakJourneys = peakUsers * a.JourneysPerActiveUserPerHour / 3600;
        Add("peak-hour active users", peakUsers, "users", $"{a.DailyActiveUsers:N0} daily × {a.PeakHourShareOfDailyUsers:P0}");
        Add(PeakJourneys, peakJourneys, "journeys/s", $"{peakUsers:N0} × {a.JourneysPerActiveUserPerHour} journeys/h ÷ 3600");

        var requestsPerJourney = knee.RequestsPerSecond / knee.JourneysPerSecond;
        var peakRequests = peakJourneys * requestsPerJourney;
        Add("requests per journey", requestsPerJourney, "requests", $"measured at the knee: {knee.RequestsPerSecond:N0} requests/s ÷ {knee.JourneysPerSecond:N0} journeys/s");
        Add(PeakRequests, peakRequests, "requests/s", $"{peakJourneys:N1} × {requestsPerJourney:N2}");

        var perInstance = knee.RequestsPerSecond * a.TargetUtilization;
        var forLoad = Math.Ceiling(peakRequests / perInstance);
        var instances = Math.Max(a.Zones, Math.Ceiling(forLoad * a.Zones / (a.Zones - 1)));
        Add("instance capacity used", perInstance, "requests/s", $"knee {knee.RequestsPerSecond:N0} requests/s ({knee.Name}) × {a.TargetUtilization:P0}");
        Add(Instances, instances, "instances", $"⌈{peakRequests:N0} ÷ {perInstance:N0}⌉ = {forLoad}, × {a.Zones}/{a.Zones - 1} to survive a zone, at least one per zone");

        var checkouts = peakJourneys * a.CheckoutShare;
        var shardWrites = (checkouts * a.ShardWritesPerCheckout) + (peakJourneys * a.CartShare * a.ShardWritesPerCartJourney);
        var shards = Math.Max(1, Math.Ceiling(shardWrites / (a.ShardWriteTransactionsPerSecond * a.TargetUtilization)));
        Add("peak orders/s", checkouts, "orders/s", $"{peakJourneys:N1} × {a.CheckoutShare:P0} checkouts");
        Add("peak user-shard writes/s", shardWrites, "transactions/s", $"{checkouts:N1} × {a.ShardWritesPerCheckout} + {peakJourneys * a.CartShare:N1} cart × {a.ShardWritesPerCartJourney}");
        Add(PhysicalShards, shards, "primaries", $"⌈{shardWrites:N0} ÷ ({a.ShardWriteTransactionsPerSecond:N0} × {a.TargetUtilization:P0})⌉; each with a replica in another zone for failover");
        if (shards > a.LogicalShards)
        {
            warnings.Add($"{shards} physical shards exceed the {a.LogicalShards} logical shards: ids carry 12 bits of shard (up to 4,096), but the map would need re-splitting first.");
        }

        if (checkouts > a.CatalogOrdersPerSecond * a.TargetUtilization)
        {
            warnings.Add($"{checkouts:N0} orders/s at peak is above {a.TargetUtilization:P0} of the catalog primary's {a.CatalogOrdersPerSecond:N0}: spread hot products' stock over buckets or partition the catalog's stock.");
        }

        var readRequests = peakRequests * knee.ReadShare;
        var misses = readRequests * (1 - a.CacheHitRatio);
        var replicasForLoad = Math.Ceiling(misses / (a.CatalogMissReadsPerReplicaPerSecond * a.TargetUtilization));
        var replicas = Math.Max(a.Zones - 1, Math.Ceiling(replicasForLoad * a.Zones / (a.Zones - 1)));
        Add("peak catalog reads that miss the cache", misses, "reads/s", $"{peakRequests:N0} × {knee.ReadShare:P0} reads (measured mix) × {1 - a.CacheHitRatio:P0} misses");
        Add(CatalogReplicas, replicas, "replicas", $"⌈{misses:N0} ÷ ({a.CatalogMissReadsPerReplicaPerSecond:N0} × {a.TargetUtilization:P0})⌉ = {replicasForLoad}, × {a.Zones}/{a.Zones - 1}, at least one per other zone");
        return new CapacityPlan(lines, warnings);
    }

    /// <summary>The window the plan sizes from: the highest-rate window that met the objectives.</summary>
    private static Knee KneeWindow(LoadReport.Summary run)
    {
        var met = run.Windows.Where(w => w.ObjectivesMet == true && w.JourneysPerSecond > 0).OrderByDescending(w => w.JourneysPerSecond).FirstOrDefault()
            ?? throw new InvalidOperationException("The run has no window that met its objectives: run a ramp with objectives first.");
        var journeys = met.Journeys.ToDictionary(j => j.Journey, StringComparer.Ordinal);
        long Requests(string journey) => journeys.TryGetValue(journey, out var j) ? j.Requests : 0;
        var total = met.Journeys.Sum(j => j.Requests);
        var reads = Requests("browse") + Requests("search");
        return new Knee(met.Name, met.JourneysPerSecond, met.RequestsPerSecond, total == 0 ? 0 : (double)reads / total);
    }

    private sealed record Knee(string Name, double JourneysPerSecond, double RequestsPerSecond, double ReadShare);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(CapacityAssumptions))]
[JsonSerializable(typeof(LoadReport.Summary))]
internal sealed partial class CapacityJsonContext : JsonSerializerContext;
