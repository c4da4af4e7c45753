using ScaleShop.Storefront.Common;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;

namespace ScaleShop.Storefront.Orders;

/// <summary>
/// Finishes what a dead request left: a stock reservation whose order was never written. For each
/// reservation older than the claim lease it asks the user's shard who won. A completed claim with the
/// same token means the order exists: the reservation is dropped. Otherwise the claim is removed (only if
/// still ours and its lease ran out, so no request can complete it afterwards) and the stock goes back.
/// Every step is conditional, so any number of instances can sweep at once. The same pass forgets
/// completed Idempotency-Keys past their retention.
/// </summary>
public sealed class ReservationSweeper(
    StockReservations stock, OrderStore orders, IDatabaseRouter databases, IOptions<OrdersOptions> options, TimeProvider time, ILogger<ReservationSweeper> logger) : BackgroundService
{
    public async Task<int> PurgeExpiredKeysAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.IdempotencyKeyRetention;
        var purged = 0;
        foreach (var physical in databases.ShardMap.PhysicalDatabases)
        {
            purged += await orders.PurgeCompletedKeysAsync(physical, cutoff, cancellationToken);
        }

        return purged;
    }

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var stale = await stock.FindOlderThanAsync(time.GetUtcNow() - limits.ClaimLease, limits.SweepBatchSize, cancellationToken);
        var released = 0;
        foreach (var reservation in stale)
        {
            var userId = new ShardedId(reservation.UserId);
            var claim = await orders.GetClaimAsync(userId, reservation.IdempotencyKey, cancellationToken);
            if (claim?.ClaimToken == reservation.ClaimToken)
            {
                if (claim.Status == IdempotencyClaim.Completed)
                {
                    await stock.ConfirmAsync([reservation.ClaimToken], cancellationToken);
                    continue;
                }

                if (!await orders.ReleaseClaimAsync(userId, reservation.IdempotencyKey, reservation.ClaimToken, onlyIfLeaseExpired: true, cancellationToken))
                {
                    continue; // still within its lease, or it just completed: look again next round
                }
            }

            var units = await stock.ReleaseAsync(reservation.ClaimToken, cancellationToken);
            if (units > 0)
            {
                released++;
                logger.LogWarning("Gave back {Units} units of stock reserved by an order that was never written (user {UserId}, key {IdempotencyKey})",
                    units, reservation.UserId, reservation.IdempotencyKey);
            }
        }

        return released;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.Value.SweepInterval, time, logger, "Sweeping stock reservations", async ct =>
        {
            await SweepOnceAsync(ct);
            await PurgeExpiredKeysAsync(ct);
        }, stoppingToken);
}
