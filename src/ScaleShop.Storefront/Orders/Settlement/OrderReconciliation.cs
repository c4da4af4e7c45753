using ScaleShop.Storefront.Common;
using Microsoft.Extensions.Options;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Orders.Settlement;

/// <summary>What one reconciliation pass found half-done and finished.</summary>
/// <summary>How much settlement work is outstanding across every physical database (the payment backlog).</summary>
public sealed record SettlementBacklog(long PendingPayment, long CancelledNotCompensated);

public sealed record ReconciliationReport(int ReservationsReleased, int PendingOrdersSettled, int CancelledOrdersCompensated, int CompensationsStillOpen,
    int StrayCapturesRefunded = 0);

/// <summary>
/// The backstop for every crash between two steps of a checkout. Each pass:
/// <list type="bullet">
/// <item>stock reserved without an order (died between taking stock and writing the order): given back by the reservation sweeper;</item>
/// <item>orders stuck in pending_payment: paid, or past their deadline confirmed (the provider shows a capture) or cancelled;</item>
/// <item>cancelled orders not yet compensated (died between cancelling and undoing): stock returned once, captures refunded,
/// authorizations voided — which also covers a capture whose order was cancelled.</item>
/// <item>from the provider's side (<see cref="StrayCaptureSweep"/>): a capture whose order was cancelled and already
/// compensated (it surfaced after the compensation looked), or whose order does not exist, is refunded.</item>
/// </list>
/// Every repair is conditional and keyed, so passes on several instances at once do no harm. Counts go to the
/// <c>scaleshop.reconciliation.repairs</c> metric; each repair is logged by the step that makes it.
/// </summary>
public sealed class OrderReconciliation(
    ReservationSweeper sweeper, PendingOrderSettler settler, OrderStore orders, OrderSettlement settlement, StrayCaptureSweep strayCaptures, SettlementMetrics metrics,
    IDatabaseRouter databases, IOptions<OrdersOptions> options, TimeProvider time, ILogger<OrderReconciliation> logger) : BackgroundService
{
    public async Task<SettlementBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        long pending = 0, uncompensated = 0;
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            var counts = await orders.CountUnsettledAsync(physical, cancellationToken);
            pending += counts.PendingPayment;
            uncompensated += counts.Uncompensated;
        }

        return new SettlementBacklog(pending, uncompensated);
    }

    public async Task<ReconciliationReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        var released = await sweeper.SweepOnceAsync(cancellationToken);
        metrics.Repaired("stock_reserved_without_order", released);

        var settled = await settler.SettleDueAsync(SettlementMetrics.ReconciliationPath, cancellationToken);
        metrics.Repaired("order_stuck_pending", settled);

        int compensated = 0, open = 0;
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            foreach (var cancelled in await orders.FindUncompensatedAsync(physical, options.Value.ReconcileBatchSize, cancellationToken))
            {
                var order = await orders.GetForSettlementAsync(cancelled.UserId, cancelled.OrderId, cancellationToken);
                if (order is null)
                {
                    continue;
                }

                if (await settlement.CompensateAsync(order, cancellationToken))
                {
                    compensated++;
                    logger.LogWarning("Reconciliation finished cancelled order {OrderId}: stock returned, payments undone", order.Id);
                }
                else
                {
                    open++;
                }
            }
        }

        metrics.Repaired("cancelled_order_not_compensated", compensated);
        var refunded = await strayCaptures.SweepOnceAsync(cancellationToken);
        metrics.Repaired("capture_without_live_order", refunded);
        var report = new ReconciliationReport(released, settled, compensated, open, refunded);
        if (released + settled + compensated + open + refunded > 0)
        {
            logger.LogWarning("Reconciliation: {Report}", report);
        }

        return report;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.Value.ReconcileInterval, time, logger, "Reconciliation", RunOnceAsync, stoppingToken);
}
