using System.Diagnostics;

namespace ScaleShop.Storefront.Orders;

/// <summary>
/// Spans of a checkout's steps (traced with the rest under <c>ScaleShop.*</c>): where a slow or failed checkout
/// spent its time — the catalog's stock, the user's shard, the payment provider — is one look at its trace.
/// </summary>
public static class CheckoutTelemetry
{
    public const string SourceName = "ScaleShop.Orders";
    public const string ReserveStock = "checkout reserve_stock";
    public const string WriteOrder = "checkout write_order";
    public const string Pay = "checkout pay";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A step's span, tagged with the user's logical shard (the physical database follows from the shard map).</summary>
    public static Activity? Step(string name, Data.Sharding.ShardedId userId)
    {
        var activity = Source.StartActivity(name);
        activity?.SetTag("scaleshop.shard.logical", userId.LogicalShard);
        return activity;
    }

    /// <summary>What the step came to (reserved, written, confirmed, ...): a business refusal is an outcome, not an error.</summary>
    public static void Outcome(Activity? activity, string outcome) => activity?.SetTag("scaleshop.outcome", outcome);
}
