using System.Diagnostics.Metrics;

namespace ScaleShop.Data;

/// <summary>Counts every database operation by database and intent, so caching claims can be checked.</summary>
public sealed class DataMetrics
{
    public const string MeterName = "ScaleShop.Data";

    private readonly Counter<long> _operations;
    private readonly Counter<long> _shardWriteDelays;
    private readonly Meter _meter;

    public DataMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _operations = meter.CreateCounter<long>("scaleshop.db.operations", unit: "{operation}",
            description: "Connections opened for a unit of database work, by database and intent.");
        _shardWriteDelays = meter.CreateCounter<long>("scaleshop.shard.write_delays", unit: "{delay}",
            description: "Writes held back by a move of their logical shard: waited out a pause, or refused by a fence and retried.");
    }

    public const string PausedReason = "paused";
    public const string FencedReason = "fenced";

    public void ShardWriteDelayed(int logicalShard, string reason) =>
        _shardWriteDelays.Add(1, new KeyValuePair<string, object?>("shard.logical", logicalShard), new KeyValuePair<string, object?>("reason", reason));

    public const string PrimaryRole = "primary";
    public const string ReplicaRole = "replica";

    public void OperationStarted(string database, DataIntent intent, string role)
    {
        DataTelemetry.Served(role);
        _operations.Add(1, new KeyValuePair<string, object?>("db.name", database), new KeyValuePair<string, object?>("db.intent", IntentName(intent)),
            new KeyValuePair<string, object?>("db.role", role));
    }

    /// <summary>How far each replica is behind its primary, in bytes of WAL (-1 while it is unreachable).</summary>
    public void ReplicaLag(Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge("scaleshop.db.replica.lag", observe, unit: "By", description: "Bytes of WAL a replica has not yet replayed; -1 when unreachable.");

    internal static string IntentName(DataIntent intent) => intent switch
    {
        DataIntent.Read => "read",
        DataIntent.ReadYourWrites => "read_your_writes",
        _ => "write",
    };
}
