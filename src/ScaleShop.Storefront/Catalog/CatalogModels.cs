namespace ScaleShop.Storefront.Catalog;

public sealed record Category(long Id, string Name);

/// <summary>A product as listed: what a listing, search result or cart needs.</summary>
public sealed record ProductSummary(long Id, string Sku, string Name, decimal Price, string Currency, long CategoryId, int Stock);

/// <summary>
/// A product page: the summary plus its description. <c>Version</c> counts the admin changes to it: of two
/// copies, the higher version is the newer (stock moves with orders and does not change the version).
/// </summary>
public sealed record Product(long Id, string Sku, string Name, string Description, decimal Price, string Currency, long CategoryId, int Stock, long Version)
{
    public ProductSummary ToSummary() => new(Id, Sku, Name, Price, Currency, CategoryId, Stock);
}

/// <summary>
/// An admin's partial update; null fields stay as they are. <c>StockBuckets</c> marks a hot product: its
/// stock is spread over that many rows so concurrent checkouts do not queue on one (0: one row again).
/// </summary>
public sealed record ProductUpdate(decimal? Price, int? Stock, string? Name, string? Description, int? StockBuckets = null);
