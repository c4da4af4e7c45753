using Dapper;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Catalog;

/// <summary>SQL over the catalog database. Every list is keyset-paginated on an index; nothing uses OFFSET.</summary>
public sealed class CatalogStore(IDatabaseRouter databases, TimeProvider time)
{
    internal const string SummaryColumns = "p.id AS Id, p.sku AS Sku, p.name AS Name, p.price_cents AS PriceCents, p.currency AS Currency, p.category_id AS CategoryId, p.stock AS Stock";
    private const string ReturnedProductColumns = "id AS Id, sku AS Sku, name AS Name, price_cents AS PriceCents, currency AS Currency, category_id AS CategoryId, stock AS Stock, description AS Description";

    public async Task<IReadOnlyList<Category>> GetCategoriesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<Category>(new CommandDefinition(
            "SELECT id AS Id, name AS Name FROM categories ORDER BY name", cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<bool> CategoryExistsAsync(long categoryId, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM categories WHERE id = @categoryId", new { categoryId }, cancellationToken: cancellationToken)) is not null;
    }

    public async Task<Product?> GetProductAsync(long id, DataIntent intent, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(intent, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(
            $"SELECT {SummaryColumns}, p.description AS Description FROM products p WHERE p.id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToProduct();
    }

    /// <summary>Products by id order, optionally within one category; fetches one extra row to know whether a next page exists.</summary>
    public async Task<IReadOnlyList<ProductSummary>> ListProductsAsync(long? categoryId, long afterId, int take, CancellationToken cancellationToken)
    {
        var sql = categoryId is null
            ? $"SELECT {SummaryColumns} FROM products p WHERE p.id > @afterId ORDER BY p.id LIMIT @take"
            : $"SELECT {SummaryColumns} FROM products p WHERE p.category_id = @categoryId AND p.id > @afterId ORDER BY p.id LIMIT @take";
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition(sql, new { categoryId, afterId, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSummary()).ToList();
    }

    public async Task<IReadOnlyList<ProductSummary>> GetBestSellersAsync(int take, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition(
            $"SELECT {SummaryColumns} FROM products p ORDER BY p.sold_count DESC, p.id LIMIT @take", new { take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSummary()).ToList();
    }

    /// <summary>Applies an admin's partial update in one statement; null when the product does not exist.</summary>
    public async Task<Product?> UpdateProductAsync(long id, long? priceCents, int? stock, string? name, string? description, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(
            $"""
            UPDATE products SET
                price_cents = COALESCE(@priceCents, price_cents),
                stock       = COALESCE(@stock, stock),
                name        = COALESCE(@name, name),
                description = COALESCE(@description, description),
                updated_at  = @now
            WHERE id = @id
            RETURNING {ReturnedProductColumns}
            """,
            new { id, priceCents, stock, name, description, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return row?.ToProduct();
    }

    internal sealed record SummaryRow(long Id, string Sku, string Name, long PriceCents, string Currency, long CategoryId, long Stock)
    {
        public ProductSummary ToSummary() => new(Id, Sku, Name, Money.FromCents(PriceCents), Currency, CategoryId, (int)Stock);
    }

    private sealed record ProductRow(long Id, string Sku, string Name, long PriceCents, string Currency, long CategoryId, long Stock, string Description)
    {
        public Product ToProduct() => new(Id, Sku, Name, Description, Money.FromCents(PriceCents), Currency, CategoryId, (int)Stock);
    }
}
