using System.Diagnostics.Metrics;

namespace ScaleShop.Storefront.Orders.Settlement;

/// <summary>How orders settle (inline, by the worker, by reconciliation) and what reconciliation had to repair.</summary>
public sealed class SettlementMetrics
{
    public const string MeterName = "ScaleShop.Orders";
    public const string InlinePath = "inline";
    public const string WorkerPath = "worker";
    public const string ReconciliationPath = "reconciliation";

    private readonly Counter<long> _settled;
    private readonly Counter<long> _repairs;

    public SettlementMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _settled = meter.CreateCounter<long>("scaleshop.orders.settled", unit: "{order}", description: "Orders that left pending_payment, by outcome and by who settled them.");
        _repairs = meter.CreateCounter<long>("scaleshop.reconciliation.repairs", unit: "{repair}", description: "What reconciliation found left half-done and finished, by kind.");
    }

    public void Settled(string status, string path) =>
        _settled.Add(1, new KeyValuePair<string, object?>("order.status", status), new KeyValuePair<string, object?>("path", path));

    public void Repaired(string kind, long count = 1) => _repairs.Add(count, new KeyValuePair<string, object?>("kind", kind));
}
