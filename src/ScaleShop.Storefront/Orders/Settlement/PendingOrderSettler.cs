using ScaleShop.Storefront.Common;
using Microsoft.Extensions.Options;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Orders.Settlement;

/// <summary>
/// Settles the orders checkout accepted as pending_payment (the provider was slow, down, or the request died
/// after writing the order): every <see cref="OrdersOptions.SettleInterval"/> it takes the due ones of each
/// physical database, a few at a time, and pays them. Runs on every instance; the lease on each order keeps
/// instances from paying the same order at once (and if they did, the payment key would make it one payment).
/// </summary>
public sealed class PendingOrderSettler(
    OrderStore orders, OrderSettlement settlement, IDatabaseRouter databases, IOptions<OrdersOptions> options, TimeProvider time,
    ILogger<PendingOrderSettler> logger) : BackgroundService
{
    /// <summary>One pass over every database; returns how many orders left pending_payment.</summary>
    public async Task<int> SettleDueAsync(string path, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var settled = 0;
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            var due = await orders.FindDuePendingAsync(physical, time.GetUtcNow(), limits.SettleBatchSize, cancellationToken);
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = limits.SettleConcurrency, CancellationToken = cancellationToken },
                async (order, ct) =>
                {
                    try
                    {
                        if (await settlement.SettleDueAsync(order, path, ct) is { IsFinal: true })
                        {
                            Interlocked.Increment(ref settled);
                        }
                    }
                    catch (Exception exception) when (!ct.IsCancellationRequested)
                    {
                        // Includes an injected crash: the order's lease runs out and it is tried again, as after a real one.
                        logger.LogWarning(exception, "Settling order {OrderId} failed; it is tried again when its lease runs out", order.OrderId);
                    }
                });
        }

        return settled;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.Value.SettleInterval, time, logger, "Settling pending orders",
            ct => SettleDueAsync(SettlementMetrics.WorkerPath, ct), stoppingToken);
}
