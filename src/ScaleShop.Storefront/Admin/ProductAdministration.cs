using ScaleShop.Data;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Admin;

public abstract record ProductUpdateOutcome
{
    public sealed record Updated(Product Product) : ProductUpdateOutcome;

    public sealed record Invalid(ValidationErrors Errors) : ProductUpdateOutcome;

    public sealed record NotFound : ProductUpdateOutcome;
}

/// <summary>An admin's change to a product: validated, written in one statement, then evicted from every cache entry that shows it.</summary>
public sealed class ProductAdministration(CatalogStore store, CatalogService catalog, IDatabaseRouter databases)
{
    public const int NameMaxLength = 200;
    public const int DescriptionMaxLength = 4000;
    public const int MaxStock = 1_000_000;
    private const string CatalogDatabase = "catalog";

    public async Task<ProductUpdateOutcome> UpdateAsync(long id, ProductUpdate update, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (update is { Price: null, Stock: null, Name: null, Description: null, StockBuckets: null })
        {
            errors.Add("body", "Give at least one of price, stock, name, description, stockBuckets.");
        }

        if (update.StockBuckets is < 0 or > CatalogStore.MaxStockBuckets)
        {
            errors.Add("stockBuckets", $"stockBuckets must be between 0 and {CatalogStore.MaxStockBuckets}.");
        }

        long? priceCents = null;
        if (update.Price is { } price)
        {
            if (Money.TryToCents(price, out var cents))
            {
                priceCents = cents;
            }
            else
            {
                errors.Add("price", $"price must be between 0 and {Money.FromCents(Money.MaxCents)} with at most two decimals.");
            }
        }

        if (update.Stock is < 0 or > MaxStock)
        {
            errors.Add("stock", $"stock must be between 0 and {MaxStock}.");
        }

        if (update.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > NameMaxLength))
        {
            errors.Add("name", $"name must be between 1 and {NameMaxLength} characters.");
        }

        if (update.Description is { Length: > DescriptionMaxLength })
        {
            errors.Add("description", $"description must be at most {DescriptionMaxLength} characters.");
        }

        if (!errors.IsEmpty)
        {
            return new ProductUpdateOutcome.Invalid(errors);
        }

        var product = await store.UpdateProductAsync(id, priceCents, update.Stock, update.Name?.Trim(), update.Description, update.StockBuckets, cancellationToken);
        if (product is null)
        {
            return new ProductUpdateOutcome.NotFound();
        }

        // No cache on this instance may be refilled from a replica that has not seen this change.
        await databases.RaiseReadFloorAsync(CatalogDatabase, cancellationToken);
        await catalog.ProductChangedAsync(product, cancellationToken);
        return new ProductUpdateOutcome.Updated(product);
    }
}
