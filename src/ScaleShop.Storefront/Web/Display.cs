using System.Globalization;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Orders;

namespace ScaleShop.Storefront.Web;

/// <summary>How figures read on a page.</summary>
public static class Display
{
    /// <summary>Below this many in stock a page says how many are left.</summary>
    public const int FewLeft = 5;

    public static string Price(decimal amount, string currency) => $"{amount.ToString("0.00", CultureInfo.InvariantCulture)} {currency}";

    public static string Stock(int stock) => stock switch
    {
        <= 0 => "Out of stock",
        < FewLeft => $"Only {stock} left",
        _ => "In stock",
    };

    public static string Status(string status) => status switch
    {
        OrderStatus.Confirmed => "Confirmed",
        OrderStatus.PendingPayment => "Pending payment",
        OrderStatus.Cancelled => "Cancelled",
        _ => status,
    };

    public static string Date(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}

/// <summary>A list of product cards and the id its list element gets.</summary>
public sealed record ProductListView(string Id, IReadOnlyList<ProductSummary> Products);

/// <summary>The first error of one field, rendered next to it with the id its input's aria-describedby names.</summary>
public sealed record FieldErrorView(string Id, string? Message);

/// <summary>A labelled input with its hint and its first error, wired together for screen readers.</summary>
public sealed record TextFieldView(string Id, string Name, string Label, string Type, string? Value, string? Error, string Autocomplete, string? Hint = null);
