using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Cart;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Chaos;
using ScaleShop.Storefront.Orders.Settlement;

namespace ScaleShop.Storefront.Orders;

/// <summary>
/// Places an order across two databases and a payment provider without a distributed transaction:
/// <list type="number">
/// <item>claim the Idempotency-Key on the user's shard (a concurrent duplicate waits for the first);</item>
/// <item>take the stock in the catalog, recording a reservation in the same transaction;</item>
/// <item>write the order, pending_payment, with its event, in the transaction that completes the claim;</item>
/// <item>drop the reservation (batched, off the request path: <see cref="ReservationConfirmer"/>);</item>
/// <item>pay within <see cref="OrdersOptions.InlinePaymentBudget"/>: confirmed (201), cancelled if declined (402),
/// or still pending (202) when the provider is slow or down — the settlement worker finishes it.</item>
/// </list>
/// If step 3 fails the stock is given back at once; if the process dies between 2 and 3 the
/// <see cref="ReservationSweeper"/> gives it back once the claim's lease has run out; after 3 the order exists
/// and is settled by whoever gets to it first. Steps 2–5 ignore the client's cancellation: a client that hangs
/// up must not leave half an order behind.
/// </summary>
public sealed class OrderService(
    OrderStore orders, StockReservations stock, ReservationConfirmer confirmer, CartStore carts, OrderSettlement settlement, CheckoutFaults faults,
    IOptions<OrdersOptions> options, TimeProvider time, ILogger<OrderService> logger)
{
    private const string CartRequestHash = "cart-checkout";

    public async Task<PlaceOrderOutcome> PlaceAsync(ShardedId userId, string? idempotencyKey, OrderRequest request, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        if (string.IsNullOrEmpty(idempotencyKey) || idempotencyKey.Length > limits.IdempotencyKeyMaxLength || !idempotencyKey.All(c => c is >= '!' and <= '~'))
        {
            return PlaceOrderOutcome.InvalidField("Idempotency-Key",
                $"The Idempotency-Key header is required: 1 to {limits.IdempotencyKeyMaxLength} printable ASCII characters, unique per order.");
        }

        var requestHash = request.FromCart ? CartRequestHash : Hash(request.Lines);
        var claimToken = Guid.NewGuid().ToString("N");
        var waitUntil = time.GetUtcNow() + limits.DuplicateWaitTimeout;
        while (true)
        {
            var existing = await orders.TryClaimAsync(userId, idempotencyKey, requestHash, claimToken, time.GetUtcNow() + limits.ClaimLease, cancellationToken);
            if (existing is null)
            {
                break;
            }

            if (existing.RequestHash != requestHash)
            {
                return new PlaceOrderOutcome.KeyReusedForAnotherRequest();
            }

            if (existing is { Status: IdempotencyClaim.Completed, OrderId: { } orderId })
            {
                var order = await orders.GetAsync(userId, new ShardedId(orderId), cancellationToken)
                    ?? throw new InvalidOperationException($"Idempotency key of user {userId} names order {orderId}, which does not exist.");
                return new PlaceOrderOutcome.Placed(order, Replayed: true);
            }

            if (existing.LockedUntil < time.GetUtcNow().ToUnixTimeMilliseconds()
                && await orders.TryTakeOverAsync(userId, idempotencyKey, existing.ClaimToken, claimToken, time.GetUtcNow() + limits.ClaimLease, cancellationToken))
            {
                break;
            }

            if (time.GetUtcNow() >= waitUntil)
            {
                return new PlaceOrderOutcome.StillInProgress(limits.DuplicatePollInterval * 10);
            }

            await Task.Delay(limits.DuplicatePollInterval, time, cancellationToken);
        }

        faults.After(CheckoutStep.KeyClaimed);
        return await PlaceClaimedAsync(userId, idempotencyKey, claimToken, request);
    }

    private async Task<PlaceOrderOutcome> PlaceClaimedAsync(ShardedId userId, string key, string claimToken, OrderRequest request)
    {
        var unstoppable = CancellationToken.None;
        var reserved = false;
        try
        {
            var lines = request.FromCart
                ? (await carts.GetLinesAsync(userId, unstoppable)).Select(l => new StockRequest(l.ProductId, l.Quantity)).ToList()
                : request.Lines;
            if (lines.Count == 0)
            {
                await orders.ReleaseClaimAsync(userId, key, claimToken, onlyIfLeaseExpired: false, unstoppable);
                return PlaceOrderOutcome.InvalidField("cart", "The cart is empty.");
            }

            ReservationOutcome reservation;
            using (var span = CheckoutTelemetry.Step(CheckoutTelemetry.ReserveStock, userId))
            {
                reservation = await stock.ReserveAsync(claimToken, userId.Value, key, lines, unstoppable);
                CheckoutTelemetry.Outcome(span, reservation.GetType().Name);
            }

            if (reservation is not ReservationOutcome.Reserved { Lines: var reservedLines })
            {
                await orders.ReleaseClaimAsync(userId, key, claimToken, onlyIfLeaseExpired: false, unstoppable);
                return reservation switch
                {
                    ReservationOutcome.InsufficientStock shortage => new PlaceOrderOutcome.InsufficientStock(shortage.ProductId, shortage.Requested, shortage.Available),
                    ReservationOutcome.UnknownProduct unknown => UnknownProduct(request, lines, unknown.ProductId),
                    _ => throw new InvalidOperationException("Unhandled reservation outcome."),
                };
            }

            reserved = true;
            faults.After(CheckoutStep.StockReserved);
            Order? order;
            using (var span = CheckoutTelemetry.Step(CheckoutTelemetry.WriteOrder, userId))
            {
                order = await orders.CompleteAsync(userId, key, claimToken, reservedLines, request.FromCart, time.GetUtcNow() + options.Value.SettleLease, unstoppable);
                CheckoutTelemetry.Outcome(span, order is null ? "taken_over" : "written");
            }

            if (order is null)
            {
                // Our lease ran out and a retry took the key over: that retry places the order, not us.
                await stock.ReleaseAsync(claimToken, unstoppable);
                return new PlaceOrderOutcome.StillInProgress(options.Value.DuplicatePollInterval * 10);
            }

            reserved = false; // the order holds the stock now: nothing below gives it back except a cancellation
            if (!confirmer.TryEnqueue(claimToken))
            {
                await ConfirmQuietlyAsync(claimToken);
            }

            faults.After(CheckoutStep.OrderWritten);
            using var paySpan = CheckoutTelemetry.Step(CheckoutTelemetry.Pay, userId);
            var settled = await PayQuietlyAsync(userId, order, reservedLines);
            CheckoutTelemetry.Outcome(paySpan, settled.Status);
            return new PlaceOrderOutcome.Placed(settled, Replayed: false);
        }
        catch (Exception exception) when (exception is not SimulatedCrashException)
        {
            logger.LogError(exception, "Placing order for user {UserId} with key {IdempotencyKey} failed; undoing", userId, key);
            await CompensateAsync(userId, key, claimToken, reserved);
            throw;
        }
    }

    private async Task CompensateAsync(ShardedId userId, string key, string claimToken, bool reserved)
    {
        try
        {
            if (reserved)
            {
                await stock.ReleaseAsync(claimToken, CancellationToken.None);
            }

            await orders.ReleaseClaimAsync(userId, key, claimToken, onlyIfLeaseExpired: false, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The sweeper finishes the job once the lease has run out.
            logger.LogError(exception, "Undoing the order of user {UserId} with key {IdempotencyKey} failed; the reservation sweeper will retry", userId, key);
        }
    }

    /// <summary>Pays the just-written order within the inline budget; any failure leaves it pending for the worker.</summary>
    private async Task<Order> PayQuietlyAsync(ShardedId userId, Order order, IReadOnlyList<ReservedLine> lines)
    {
        var pending = new SettlementOrder(long.Parse(order.Id, CultureInfo.InvariantCulture), userId.Value, order.Status, lines.Sum(l => l.UnitPriceCents * l.Quantity),
            order.Currency, null, order.CreatedAt, 0, 0, true, lines.Select(l => new SettlementLine(l.ProductId, l.Quantity, l.UnitPriceCents)).ToList());
        try
        {
            using var budget = new CancellationTokenSource(options.Value.InlinePaymentBudget);
            var result = await settlement.PayAsync(pending, SettlementMetrics.InlinePath, budget.Token);
            return order with { Status = result.Status, StatusReason = result.IsFinal ? result.Reason : null };
        }
        catch (Exception exception) when (exception is not SimulatedCrashException)
        {
            logger.LogWarning(exception, "Paying order {OrderId} failed after it was written; the settlement worker takes it over", order.Id);
            return order;
        }
    }

    private async Task ConfirmQuietlyAsync(string claimToken)
    {
        try
        {
            await stock.ConfirmAsync([claimToken], CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The order is written; a leftover reservation is confirmed by the sweeper, never released.
            logger.LogWarning(exception, "Confirming reservation {ClaimToken} failed; the sweeper will confirm it", claimToken);
        }
    }

    private static PlaceOrderOutcome UnknownProduct(OrderRequest request, IReadOnlyList<StockRequest> lines, long productId)
    {
        var index = request.FromCart ? -1 : lines.ToList().FindIndex(l => l.ProductId == productId);
        return PlaceOrderOutcome.InvalidField(index < 0 ? "cart" : $"items[{index}].productId", $"There is no product {productId}.");
    }

    /// <summary>The request's identity for key reuse checks: the same lines in any order hash the same.</summary>
    private static string Hash(IReadOnlyList<StockRequest> lines)
    {
        var canonical = new StringBuilder("items:");
        foreach (var line in lines.OrderBy(l => l.ProductId))
        {
            canonical.Append(CultureInfo.InvariantCulture, $"{line.ProductId}x{line.Quantity};");
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }
}
