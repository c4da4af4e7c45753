namespace ScaleShop.Storefront.Common;

/// <summary>
/// Money is kept as integer cents everywhere below the API (no floating point, exact sums) and shown as a
/// decimal with exactly two places, so 12.5 dollars serialises as 12.50.
/// </summary>
public static class Money
{
    public const long MaxCents = 100_000_000_00;

    public static decimal FromCents(long cents)
    {
        var magnitude = (ulong)Math.Abs(cents);
        return new decimal((int)(magnitude & 0xFFFF_FFFF), (int)(magnitude >> 32), 0, cents < 0, 2);
    }

    /// <summary>Converts a client amount; false when it has more than two decimals or is out of range.</summary>
    public static bool TryToCents(decimal amount, out long cents)
    {
        cents = 0;
        var scaled = amount * 100m;
        if (scaled != decimal.Truncate(scaled) || scaled < 0 || scaled > MaxCents)
        {
            return false;
        }

        cents = (long)scaled;
        return true;
    }
}
