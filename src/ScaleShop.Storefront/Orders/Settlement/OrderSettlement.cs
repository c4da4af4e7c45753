using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Chaos;
using ScaleShop.Storefront.Orders.Payments;

namespace ScaleShop.Storefront.Orders.Settlement;

/// <summary>Where an attempt to settle left the order.</summary>
public sealed record SettleResult(string Status, string? Reason)
{
    public bool IsFinal => Status != OrderStatus.PendingPayment;
}

/// <summary>
/// Pays pending orders and undoes cancelled ones. Every call to the provider carries a key derived from the
/// order (<c>order-{id}-pay</c>, <c>order-{id}-refund-{payment}</c>, ...), so the request, the worker on any
/// instance and reconciliation can all try the same step and the provider acts once. Every state change is a
/// conditional update of a pending order: the first to settle it decides; the others read what it decided.
/// </summary>
public sealed class OrderSettlement(
    OrderStore orders, StockReservations stock, PaymentProviderClient payments, SettlementMetrics metrics, CheckoutFaults faults,
    IOptions<OrdersOptions> options, TimeProvider time, ILogger<OrderSettlement> logger)
{
    private const string Captured = "captured";
    private const string Authorized = "authorized";

    /// <summary>
    /// Charges a pending order (authorize and capture in one call) and settles it by the answer; the provider
    /// being slow past <paramref name="budget"/>, failing or behind an open breaker leaves it pending.
    /// </summary>
    public async Task<SettleResult> PayAsync(SettlementOrder order, string path, CancellationToken budget)
    {
        PaymentResult result;
        try
        {
            result = await payments.AuthorizeAsync($"order-{order.Id}-pay", order.TotalCents, order.Currency, order.Reference, budget, capture: true);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            result = new PaymentResult.Unavailable("the payment budget ran out");
        }

        if (result is not PaymentResult.Unavailable)
        {
            faults.After(CheckoutStep.PaymentAnswered);
        }

        switch (result)
        {
            case PaymentResult.Succeeded { Payment.Status: Captured } paid:
                return await SettleAsync(order, OrderStatus.Confirmed, paid.Payment.Id, null, path);
            case PaymentResult.Succeeded { Payment.Status: Authorized } authorized:
                // An authorization without its capture (e.g. made by an older version): capture it now.
                var capture = await payments.CaptureAsync(authorized.Payment.Id, $"order-{order.Id}-capture", CancellationToken.None);
                return capture is PaymentResult.Succeeded
                    ? await SettleAsync(order, OrderStatus.Confirmed, authorized.Payment.Id, null, path)
                    : new SettleResult(OrderStatus.PendingPayment, "capture not confirmed");
            case PaymentResult.Declined declined:
                return await SettleAsync(order, OrderStatus.Cancelled, declined.PaymentId, CancellationReason.PaymentDeclined, path);
            case PaymentResult.Rejected rejected:
                logger.LogError("The payment provider rejected the payment of order {OrderId}: {Status} {Detail}", order.Id, rejected.Status, rejected.Detail);
                return await SettleAsync(order, OrderStatus.Cancelled, null, CancellationReason.PaymentRejected, path);
            case PaymentResult.Succeeded other:
                logger.LogError("Payment {PaymentId} of order {OrderId} is {Status} after authorization; leaving the order pending", other.Payment.Id, order.Id, other.Payment.Status);
                return new SettleResult(OrderStatus.PendingPayment, other.Payment.Status);
            case PaymentResult.Unavailable unavailable:
                logger.LogInformation("Payment of order {OrderId} not settled now ({Reason}); it stays pending", order.Id, unavailable.Reason);
                return new SettleResult(OrderStatus.PendingPayment, unavailable.Reason);
            default:
                throw new InvalidOperationException("Unhandled payment result.");
        }
    }

    /// <summary>
    /// The worker's turn at a pending order whose time has come: lease it (so instances do not pile on), give up
    /// if it is older than <see cref="OrdersOptions.PendingPaymentTimeout"/>, else pay, else try again later.
    /// </summary>
    public async Task<SettleResult?> SettleDueAsync(OrderRef due, string path, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var order = await orders.GetForSettlementAsync(due.UserId, due.OrderId, cancellationToken);
        if (order is not { Status: OrderStatus.PendingPayment }
            || !await orders.TryLeaseAsync(order, time.GetUtcNow() + limits.SettleLease, cancellationToken))
        {
            return null; // settled meanwhile, or another worker has it
        }

        if (time.GetUtcNow() - order.CreatedAt > limits.PendingPaymentTimeout)
        {
            return await GiveUpAsync(order, path, cancellationToken);
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(limits.SettleLease);
        var result = await PayAsync(order, path, budget.Token);
        if (!result.IsFinal)
        {
            await orders.PostponeAsync(order, time.GetUtcNow() + Messaging.Backoff.Exponential(limits.SettleBaseBackoff, order.SettleAttempts + 1, limits.SettleMaxBackoff), cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Finishes a cancelled order: its stock back in the catalog (once, keyed by the order) and every payment the
    /// provider holds for it undone — captures refunded, authorizations voided, including any made by a request
    /// whose answer was lost. Marked compensated only when the provider confirmed all of it; otherwise
    /// reconciliation comes back. Returns whether it is complete.
    /// </summary>
    public async Task<bool> CompensateAsync(SettlementOrder order, CancellationToken cancellationToken)
    {
        if (await stock.ReturnForCancelledOrderAsync(order.Id, order.Lines.Select(l => new StockRequest(l.ProductId, (int)l.Quantity)).ToList(), cancellationToken))
        {
            logger.LogInformation("Returned the stock of cancelled order {OrderId} ({Units} units)", order.Id, order.Lines.Sum(l => l.Quantity));
        }

        var held = await payments.FindByReferenceAsync(order.Reference, cancellationToken);
        if (held is null)
        {
            return false;
        }

        var complete = true;
        foreach (var payment in held)
        {
            PaymentResult? undo = payment switch
            {
                { Status: Authorized } => await payments.VoidAsync(payment.Id, $"order-{order.Id}-void-{payment.Id}", cancellationToken),
                _ when payment.CapturedCents > payment.RefundedCents =>
                    await payments.RefundAsync(payment.Id, $"order-{order.Id}-refund-{payment.Id}", payment.CapturedCents - payment.RefundedCents, cancellationToken),
                _ => null,
            };
            if (undo is null)
            {
                continue;
            }

            if (undo is PaymentResult.Succeeded done)
            {
                logger.LogWarning("Undid payment {PaymentId} of cancelled order {OrderId}: now {Status}", payment.Id, order.Id, done.Payment.Status);
            }
            else
            {
                complete = false;
                logger.LogWarning("Undoing payment {PaymentId} of cancelled order {OrderId} did not succeed ({Result}); reconciliation retries", payment.Id, order.Id, undo);
            }
        }

        if (complete)
        {
            await orders.MarkCompensatedAsync(order, cancellationToken);
        }

        return complete;
    }

    /// <summary>
    /// A pending order past its deadline. If the provider shows it paid (an answer that never reached us), it is
    /// confirmed; otherwise cancelled — and if the provider cannot be asked, cancelled anyway: reconciliation
    /// refunds a capture that turns up later.
    /// </summary>
    private async Task<SettleResult> GiveUpAsync(SettlementOrder order, string path, CancellationToken cancellationToken)
    {
        var held = await payments.FindByReferenceAsync(order.Reference, cancellationToken);
        if (held?.FirstOrDefault(p => p.Status == Captured) is { } paid)
        {
            return await SettleAsync(order, OrderStatus.Confirmed, paid.Id, null, path);
        }

        logger.LogWarning("Order {OrderId} stayed pending_payment past {Timeout}; cancelling it", order.Id, options.Value.PendingPaymentTimeout);
        return await SettleAsync(order, OrderStatus.Cancelled, null, CancellationReason.PaymentTimedOut, path);
    }

    private async Task<SettleResult> SettleAsync(SettlementOrder order, string status, string? paymentId, string? reason, string path)
    {
        // Past this point nothing is abandoned because a caller went away: the order's fate is being written.
        var unstoppable = CancellationToken.None;
        if (await orders.SettleAsync(order, status, paymentId, reason, unstoppable))
        {
            metrics.Settled(status, path);
            if (status == OrderStatus.Cancelled)
            {
                faults.After(CheckoutStep.OrderCancelled);
                await CompensateQuietlyAsync(order with { Status = status }, unstoppable);
            }

            return new SettleResult(status, reason);
        }

        // Someone settled it first. If they cancelled it while our payment went through, undo ours.
        var current = await orders.GetForSettlementAsync(order.UserId, order.Id, unstoppable)
            ?? throw new InvalidOperationException($"Order {order.Id} vanished while being settled.");
        if (current is { Status: OrderStatus.Cancelled, Compensated: false })
        {
            await CompensateQuietlyAsync(current, unstoppable);
        }

        return new SettleResult(current.Status, null);
    }

    private async Task CompensateQuietlyAsync(SettlementOrder order, CancellationToken cancellationToken)
    {
        try
        {
            await CompensateAsync(order, cancellationToken);
        }
        catch (Exception exception) when (exception is not SimulatedCrashException)
        {
            logger.LogWarning(exception, "Compensating cancelled order {OrderId} failed; reconciliation finishes it", order.Id);
        }
    }
}
