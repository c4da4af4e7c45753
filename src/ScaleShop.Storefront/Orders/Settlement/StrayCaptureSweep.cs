using System.Globalization;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Orders.Payments;

namespace ScaleShop.Storefront.Orders.Settlement;

/// <summary>
/// Reconciliation from the provider's side. The order-side passes start from orders, so a capture no live order
/// explains is never looked at: one that surfaced after its cancelled order was compensated (a late answer, a
/// capture retried past the give-up), or one whose order does not exist. This sweep reads the provider's
/// outstanding captures (captured more than refunded) a page per pass, older than
/// <see cref="OrdersOptions.PendingPaymentTimeout"/> (a younger one's checkout may still be settling) and within
/// <see cref="OrdersOptions.StrayCaptureLookback"/>, and refunds those whose order was cancelled and already
/// compensated. A confirmed order's capture, one of an order still to be compensated (the compensation refunds it) and
/// one whose reference is not an order id are left alone. A capture whose order is not found is reported for a person
/// to look at, never refunded by itself: "not found" may be a stale shard map or a reference from another channel,
/// and refunding a confirmed order's payment gives the goods away.
/// </summary>
public sealed class StrayCaptureSweep(OrderStore orders, PaymentProviderClient payments, IOptions<OrdersOptions> options, TimeProvider time, ILogger<StrayCaptureSweep> logger)
{
    // The provider pages its outstanding captures 1,000 at most (a larger limit is refused with 400).
    private const int ProviderPageLimit = 1000;

    // Where the next pass goes on in the provider's list; null: from the start of the window.
    private volatile string? _after;

    /// <summary>One page of the provider's outstanding captures; returns how many were refunded.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var now = time.GetUtcNow();
        var page = await payments.OutstandingCapturesAsync(now - limits.StrayCaptureLookback, now - limits.PendingPaymentTimeout, _after,
            Math.Min(limits.ReconcileBatchSize, ProviderPageLimit), cancellationToken);
        if (page is null)
        {
            logger.LogWarning("The payment provider could not list its outstanding captures; the next reconciliation pass asks again");
            return 0;
        }

        _after = page.Next;
        var refunded = 0;
        foreach (var capture in page.Items)
        {
            if (await WhyStrayAsync(capture, cancellationToken) is { } reason && await RefundAsync(capture, reason, cancellationToken))
            {
                refunded++;
            }
        }

        return refunded;
    }

    private async Task<string?> WhyStrayAsync(ProviderPayment capture, CancellationToken cancellationToken)
    {
        if (!long.TryParse(capture.Reference, NumberStyles.None, CultureInfo.InvariantCulture, out var orderId) || orderId <= 0)
        {
            return null; // not an order reference of this shop
        }

        try
        {
            if (await orders.FindOwnerAsync(orderId, cancellationToken) is not { } userId)
            {
                logger.LogError("Capture {PaymentId} ({Cents} cents, reference {Reference}) has no order this shop can find; left for review, not refunded",
                    capture.Id, capture.CapturedCents - capture.RefundedCents, capture.Reference);
                return null;
            }

            return await orders.GetForSettlementAsync(userId, orderId, cancellationToken) is { Status: OrderStatus.Cancelled, Compensated: true }
                ? "its order was cancelled and already compensated"
                : null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A shard that cannot be read is not an order that does not exist.
            logger.LogWarning(exception, "Could not look up the order of capture {PaymentId} (reference {Reference}); a later pass tries again", capture.Id, capture.Reference);
            return null;
        }
    }

    private async Task<bool> RefundAsync(ProviderPayment capture, string reason, CancellationToken cancellationToken)
    {
        // Keyed by what the provider showed: a pass repeated over the same state repeats this refund, never makes a second.
        var key = $"stray-{capture.Id}-refund-{capture.CapturedCents}-{capture.RefundedCents}";
        var result = await payments.RefundAsync(capture.Id, key, capture.CapturedCents - capture.RefundedCents, cancellationToken);
        if (result is PaymentResult.Succeeded)
        {
            logger.LogWarning("Refunded capture {PaymentId} ({Cents} cents, reference {Reference}): {Reason}",
                capture.Id, capture.CapturedCents - capture.RefundedCents, capture.Reference, reason);
            return true;
        }

        logger.LogWarning("Refunding capture {PaymentId} (reference {Reference}, {Reason}) did not succeed ({Result}); a later pass tries again",
            capture.Id, capture.Reference, reason, result);
        return false;
    }
}
