namespace ScaleShop.PaymentProvider.Payments;

public static class PaymentStatus
{
    public const string Authorized = "authorized";
    public const string Captured = "captured";
    public const string PartiallyRefunded = "partially_refunded";
    public const string Refunded = "refunded";
    public const string Voided = "voided";
    public const string Declined = "declined";
}

/// <summary><c>capture: true</c> authorizes and captures in one step.</summary>
public sealed record AuthorizeRequest(long? AmountCents, string? Currency, string? Reference, bool? Capture);

public sealed record AmountRequest(long? AmountCents);

public sealed record Payment(string Id, string Reference, long AmountCents, string Currency, string Status, long CapturedCents, long RefundedCents, DateTimeOffset CreatedAt);

public sealed record PaymentList(IReadOnlyList<Payment> Items);

/// <summary>A page of payments; <see cref="Next"/> is the cursor of the next page (null: the last).</summary>
public sealed record CapturePage(IReadOnlyList<Payment> Items, string? Next);

/// <summary>Totals over every payment, so tests and chaos experiments can check that nobody was charged twice.</summary>
public sealed record Ledger(long Payments, long AuthorizedCents, long CapturedCents, long RefundedCents);
