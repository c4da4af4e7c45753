using System.Diagnostics.Metrics;

namespace ScaleShop.Data;

/// <summary>Counts every database operation by database and intent, so caching claims can be checked.</summary>
public sealed class DataMetrics
{
    public const string MeterName = "ScaleShop.Data";

    private readonly Counter<long> _operations;

    public DataMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _operations = meter.CreateCounter<long>("scaleshop.db.operations", unit: "{operation}",
            description: "Connections opened for a unit of database work, by database and intent.");
    }

    public void OperationStarted(string database, DataIntent intent) =>
        _operations.Add(1, new KeyValuePair<string, object?>("db.name", database), new KeyValuePair<string, object?>("db.intent", IntentName(intent)));

    private static string IntentName(DataIntent intent) => intent switch
    {
        DataIntent.Read => "read",
        DataIntent.ReadYourWrites => "read_your_writes",
        _ => "write",
    };
}
