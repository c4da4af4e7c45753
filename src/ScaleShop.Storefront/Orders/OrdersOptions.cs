using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Orders;

/// <summary>Order placement (section <c>Orders</c>).</summary>
public sealed class OrdersOptions : IValidatableObject
{
    public const string SectionName = "Orders";

    [Range(1, 1000)]
    public int MaxLines { get; set; } = 50;

    [Range(1, 10_000)]
    public int MaxQuantityPerLine { get; set; } = 100;

    [Range(1, 1000)]
    public int IdempotencyKeyMaxLength { get; set; } = 200;

    /// <summary>
    /// How long a request owns its Idempotency-Key while it places the order. Past it, a retry may take the
    /// key over and the sweeper may give the reserved stock back; it must exceed the slowest placement.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a duplicate request waits for the original to finish before answering 409.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan DuplicateWaitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan DuplicatePollInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often stale stock reservations (from requests that died mid-way) are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1, 100_000)]
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>Reservations of written orders waiting to be dropped; past this, requests drop their own.</summary>
    [Range(1, 1_000_000)]
    public int ConfirmQueueCapacity { get; set; } = 10_000;

    /// <summary>Reservations dropped per catalog commit.</summary>
    [Range(1, 10_000)]
    public int ConfirmBatchSize { get; set; } = 500;

    /// <summary>
    /// How long a completed Idempotency-Key is remembered. A retry within it returns the original order;
    /// after it the key is forgotten, so the table stays bounded by traffic, not by history.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long checkout waits for the payment before answering 202 with the order pending_payment. Customers
    /// can buy while the provider is slow or down; the settlement worker finishes the payment.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan InlinePaymentBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long whoever is paying an order (the request, or one worker) owns it before another may try. Must exceed
    /// <see cref="InlinePaymentBudget"/> and the payment client's total timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SettleLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the settlement worker looks for pending orders whose turn has come.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan SettleInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 100_000)]
    public int SettleBatchSize { get; set; } = 200;

    /// <summary>Orders paid at once per instance by the worker (the payment client's bulkhead caps calls in flight too).</summary>
    [Range(1, 1000)]
    public int SettleConcurrency { get; set; } = 8;

    /// <summary>Wait before retrying a payment that failed; doubling with jitter up to <see cref="SettleMaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan SettleBaseBackoff { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan SettleMaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A pending order older than this is given up: confirmed if the provider shows it paid, else cancelled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan PendingPaymentTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often reconciliation looks for what a crash left half-done.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 100_000)]
    public int ReconcileBatchSize { get; set; } = 200;

    /// <summary>
    /// How far back reconciliation looks at the provider's outstanding captures for ones no live order explains
    /// (a cancelled, compensated order; no order at all). Captures younger than <see cref="PendingPaymentTimeout"/>
    /// are left alone: their checkout may still be settling.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan StrayCaptureLookback { get; set; } = TimeSpan.FromDays(7);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SettleLease <= InlinePaymentBudget)
        {
            yield return new ValidationResult("Orders:SettleLease must exceed Orders:InlinePaymentBudget.", [nameof(SettleLease)]);
        }

        if (SettleMaxBackoff < SettleBaseBackoff)
        {
            yield return new ValidationResult("Orders:SettleMaxBackoff must be at least Orders:SettleBaseBackoff.", [nameof(SettleMaxBackoff)]);
        }
    }
}

[OptionsValidator]
public sealed partial class OrdersOptionsValidator : IValidateOptions<OrdersOptions>;
