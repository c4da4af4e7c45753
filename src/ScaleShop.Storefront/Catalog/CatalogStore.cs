using Dapper;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Catalog;

/// <summary>SQL over the catalog database. Every list is keyset-paginated on an index; nothing uses OFFSET.</summary>
public sealed class CatalogStore(IDatabaseRouter databases, TimeProvider time, Outbox outbox)
{
    // A hot product's stock is its own row's plus its buckets' (see StockReservations).
    internal const string TotalStock = "CAST(p.stock + COALESCE((SELECT SUM(b.stock) FROM stock_buckets b WHERE b.product_id = p.id), 0) AS BIGINT)";
    internal const string TotalSold = "(p.sold_count + COALESCE((SELECT SUM(b.sold) FROM stock_buckets b WHERE b.product_id = p.id), 0))";
    internal const string SummaryColumns = $"p.id AS Id, p.sku AS Sku, p.name AS Name, p.price_cents AS PriceCents, p.currency AS Currency, p.category_id AS CategoryId, {TotalStock} AS Stock";
    public const int MaxStockBuckets = 64;

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
            $"SELECT {SummaryColumns}, p.description AS Description, p.version AS Version FROM products p WHERE p.id = @id", new { id }, cancellationToken: cancellationToken));
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
            $"SELECT {SummaryColumns} FROM products p ORDER BY {TotalSold} DESC, p.id LIMIT @take", new { take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSummary()).ToList();
    }

    /// <summary>The most bought products (units, from the popularity projection), optionally within one category.</summary>
    public async Task<IReadOnlyList<ProductSummary>> ListPopularAsync(long? categoryId, int take, CancellationToken cancellationToken)
    {
        var sql = categoryId is null
            ? $"SELECT {SummaryColumns} FROM product_popularity pp JOIN products p ON p.id = pp.product_id ORDER BY pp.units DESC, pp.product_id LIMIT @take"
            : $"SELECT {SummaryColumns} FROM product_popularity pp JOIN products p ON p.id = pp.product_id WHERE pp.category_id = @categoryId ORDER BY pp.units DESC, pp.product_id LIMIT @take";
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition(sql, new { categoryId, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSummary()).ToList();
    }

    /// <summary>Products most often bought together with <paramref name="productId"/> (the co-purchase projection).</summary>
    public async Task<IReadOnlyList<ProductSummary>> GetAlsoBoughtAsync(long productId, int take, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition(
            $"""
            SELECT {SummaryColumns} FROM co_purchases cp JOIN products p ON p.id = cp.other_product_id
            WHERE cp.product_id = @productId ORDER BY cp.orders DESC, cp.other_product_id LIMIT @take
            """, new { productId, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSummary()).ToList();
    }

    /// <summary>
    /// Applies an admin's partial update in one transaction; null when the product does not exist. A new
    /// stock is the product's total: on a hot product it is spread evenly over its buckets. A new bucket
    /// count re-spreads the current total (0 merges it back into the product's row).
    /// </summary>
    public async Task<Product?> UpdateProductAsync(long id, long? priceCents, int? stock, string? name, string? description, int? stockBuckets, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        // The product row is locked before its buckets are touched: the lock order of every path that takes both (a
        // reservation draining the buckets); buckets first here could deadlock with such a drain.
        var current = await connection.QuerySingleOrDefaultAsync<StockRow>(new CommandDefinition(
            $"SELECT {TotalStock} AS Total, (SELECT COUNT(*) FROM stock_buckets b WHERE b.product_id = p.id) AS Buckets FROM products p WHERE p.id = @id {databases.Dialect.LockRows}",
            new { id }, transaction, cancellationToken: cancellationToken));
        if (current is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        var buckets = stockBuckets ?? (int)current.Buckets;
        var total = stock ?? current.Total;
        if (buckets != current.Buckets || stock is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM stock_buckets WHERE product_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            for (var bucket = 0; bucket < buckets; bucket++)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO stock_buckets (product_id, bucket, stock, sold) VALUES (@id, @bucket, @share, 0)",
                    new { id, bucket = (long)bucket, share = (total / buckets) + (bucket < total % buckets ? 1 : 0) }, transaction, cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition("UPDATE products SET stock = @rest WHERE id = @id",
                new { id, rest = buckets == 0 ? total : 0L }, transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE products SET
                price_cents = COALESCE(@priceCents, price_cents),
                name        = COALESCE(@name, name),
                description = COALESCE(@description, description),
                updated_at  = @now,
                version     = version + 1
            WHERE id = @id
            """,
            new { id, priceCents, name, description, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleAsync<ProductRow>(new CommandDefinition(
            $"SELECT {SummaryColumns}, p.description AS Description, p.version AS Version FROM products p WHERE p.id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        var textChanged = name is not null || description is not null;
        if (textChanged)
        {
            // The search read model learns of it through the outbox, in this transaction: never a change without its event.
            await outbox.AddCatalogAsync(connection, transaction, ProductEvents.Changed,
                ProductEvents.Serialize(new ProductChanged(row.Id, row.Version, row.Name, row.Description)), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (textChanged)
        {
            outbox.Committed();
        }

        return row.ToProduct();
    }

    // Settable properties, not positional records: Stock is an expression, which SQLite reports with no
    // type for an empty result, and Dapper's constructor mapping would refuse it.
    internal class SummaryRow
    {
        public long Id { get; init; }
        public string Sku { get; init; } = "";
        public string Name { get; init; } = "";
        public long PriceCents { get; init; }
        public string Currency { get; init; } = "";
        public long CategoryId { get; init; }
        public long Stock { get; init; }

        public ProductSummary ToSummary() => new(Id, Sku, Name, Money.FromCents(PriceCents), Currency, CategoryId, (int)Stock);
    }

    private sealed class ProductRow : SummaryRow
    {
        public string Description { get; init; } = "";

        public long Version { get; init; }

        public Product ToProduct() => new(Id, Sku, Name, Description, Money.FromCents(PriceCents), Currency, CategoryId, (int)Stock, Version);
    }

    private sealed class StockRow
    {
        public long Total { get; init; }
        public long Buckets { get; init; }
    }
}
