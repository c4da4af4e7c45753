using System.Data.Common;
using Dapper;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Catalog;

public readonly record struct StockRequest(long ProductId, int Quantity);

public sealed record ReservedLine(long ProductId, string Name, int Quantity, long UnitPriceCents, string Currency);

public abstract record ReservationOutcome
{
    public sealed record Reserved(IReadOnlyList<ReservedLine> Lines) : ReservationOutcome;

    public sealed record UnknownProduct(long ProductId) : ReservationOutcome;

    public sealed record InsufficientStock(long ProductId, int Requested, int Available) : ReservationOutcome;
}

public sealed record HeldReservation(string ClaimToken, long UserId, string IdempotencyKey);

/// <summary>
/// Stock is the catalog's truth and the one write every order makes there. Taking stock is a conditional
/// decrement (<c>stock &gt;= quantity</c> in the WHERE clause), so concurrent orders can never drive it below
/// zero, and it records a reservation in the same transaction, so stock taken for an order that is never
/// written can always be found and given back. Releasing is idempotent: stock returns only for reservation
/// rows this call deletes.
/// </summary>
public sealed class StockReservations(IDatabaseRouter databases, TimeProvider time)
{
    /// <summary>Reservation taken from (and given back to) the product's own row rather than one bucket.</summary>
    public const long ProductRowPool = -1;

    public async Task<ReservationOutcome> ReserveAsync(string claimToken, long userId, string idempotencyKey,
        IReadOnlyList<StockRequest> requests, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var lines = new List<ReservedLine>(requests.Count);

        // Ascending product id: one lock order for every order, so engines with row locks cannot deadlock.
        foreach (var request in requests.OrderBy(r => r.ProductId))
        {
            var taken = await connection.QuerySingleOrDefaultAsync<TakenRow>(new CommandDefinition(
                """
                UPDATE products SET stock = stock - @Quantity, sold_count = sold_count + @Quantity
                WHERE id = @ProductId AND stock >= @Quantity
                RETURNING name AS Name, price_cents AS PriceCents, currency AS Currency
                """, request, transaction, cancellationToken: cancellationToken));
            var bucket = ProductRowPool;
            if (taken is null)
            {
                // Not in the product's own row: a hot product keeps its stock in buckets.
                var product = await connection.QuerySingleOrDefaultAsync<ProductInfo>(new CommandDefinition(
                    "SELECT name AS Name, price_cents AS PriceCents, currency AS Currency FROM products WHERE id = @ProductId",
                    request, transaction, cancellationToken: cancellationToken));
                if (product is null)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    return new ReservationOutcome.UnknownProduct(request.ProductId);
                }

                var fromBucket = await TakeFromBucketsAsync(connection, transaction, request, cancellationToken);
                if (fromBucket is null)
                {
                    var available = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT stock + COALESCE((SELECT SUM(stock) FROM stock_buckets WHERE product_id = @ProductId), 0) FROM products WHERE id = @ProductId",
                        request, transaction, cancellationToken: cancellationToken));
                    await transaction.RollbackAsync(cancellationToken);
                    return new ReservationOutcome.InsufficientStock(request.ProductId, request.Quantity, (int)available);
                }

                bucket = fromBucket.Value;
                taken = new TakenRow(product.Name, product.PriceCents, product.Currency);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO stock_reservations (claim_token, product_id, quantity, user_id, idempotency_key, created_at, bucket)
                VALUES (@claimToken, @ProductId, @Quantity, @userId, @idempotencyKey, @now, @bucket)
                """, new { claimToken, request.ProductId, request.Quantity, userId, idempotencyKey, now, bucket }, transaction, cancellationToken: cancellationToken));
            lines.Add(new ReservedLine(request.ProductId, taken.Name, request.Quantity, taken.PriceCents, taken.Currency));
        }

        await transaction.CommitAsync(cancellationToken);
        return new ReservationOutcome.Reserved(lines);
    }

    /// <summary>
    /// Takes a hot product's stock from one bucket: a free one if any (no waiting), else a random one that
    /// holds enough (waiting on that row only). Returns the bucket; <see cref="ProductRowPool"/> when it had
    /// to drain several (an order larger than any bucket: the product row and then all buckets are locked,
    /// in that order, and emptied as needed, so an order fails only when the whole stock is short); or null
    /// when the stock is short.
    /// </summary>
    private async Task<long?> TakeFromBucketsAsync(DbConnection connection, DbTransaction transaction, StockRequest request, CancellationToken cancellationToken)
    {
        // 1. A free bucket (SKIP LOCKED: never waits), in a savepoint. The search can lock a row it then drops: one a
        //    concurrent order emptied after this statement's snapshot is locked, rechecked and skipped, and stays
        //    locked. An order that goes on to wait (steps 2 and 3) holding such a bucket deadlocks with a drain, which
        //    holds the product row and waits for that bucket; rolling back to the savepoint lets go of it first.
        await connection.ExecuteAsync(new CommandDefinition("SAVEPOINT take_free_bucket", transaction: transaction, cancellationToken: cancellationToken));
        var free = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT bucket FROM stock_buckets WHERE product_id = @ProductId AND stock >= @Quantity ORDER BY random() LIMIT 1 {databases.Dialect.LockRowsSkipLocked}",
            request, transaction, cancellationToken: cancellationToken));
        if (free is { } bucket)
        {
            // Rows dropped beside the one taken stay locked to the commit, which follows without a wait on this product.
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE stock_buckets SET stock = stock - @Quantity, sold = sold + @Quantity WHERE product_id = @ProductId AND bucket = @bucket",
                new { request.ProductId, request.Quantity, bucket }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("RELEASE SAVEPOINT take_free_bucket", transaction: transaction, cancellationToken: cancellationToken));
            return bucket;
        }

        await connection.ExecuteAsync(new CommandDefinition("ROLLBACK TO SAVEPOINT take_free_bucket", transaction: transaction, cancellationToken: cancellationToken));

        // 2. Every bucket is busy: queue on one that holds enough, chosen at random so waiters spread. Each
        //    attempt runs in a savepoint, so a bucket that turned out short is unlocked again at once and
        //    this order never holds one bucket while waiting for another (no deadlock).
        var candidates = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT bucket FROM stock_buckets WHERE product_id = @ProductId AND stock >= @Quantity",
            request, transaction, cancellationToken: cancellationToken))).ToArray();
        Random.Shared.Shuffle(candidates);
        foreach (var candidate in candidates)
        {
            await connection.ExecuteAsync(new CommandDefinition("SAVEPOINT take_bucket", transaction: transaction, cancellationToken: cancellationToken));
            var taken = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE stock_buckets SET stock = stock - @Quantity, sold = sold + @Quantity WHERE product_id = @ProductId AND bucket = @candidate AND stock >= @Quantity",
                new { request.ProductId, request.Quantity, candidate }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                taken == 1 ? "RELEASE SAVEPOINT take_bucket" : "ROLLBACK TO SAVEPOINT take_bucket", transaction: transaction, cancellationToken: cancellationToken));
            if (taken == 1)
            {
                return candidate;
            }
        }

        // 3. No single bucket holds enough: lock the lot and drain.
        // Product row first, then buckets in order: the same lock order as every other path.
        var productRowStock = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT stock FROM products WHERE id = @ProductId {databases.Dialect.LockRows}", request, transaction, cancellationToken: cancellationToken));
        var buckets = (await connection.QueryAsync<BucketRow>(new CommandDefinition(
            $"SELECT bucket AS Bucket, stock AS Stock FROM stock_buckets WHERE product_id = @ProductId ORDER BY bucket {databases.Dialect.LockRows}",
            request, transaction, cancellationToken: cancellationToken))).AsList();
        var needed = (long)request.Quantity - productRowStock;
        if (buckets.Count == 0 || buckets.Sum(b => b.Stock) < needed)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition("UPDATE products SET stock = 0 WHERE id = @ProductId", request, transaction, cancellationToken: cancellationToken));
        foreach (var row in buckets)
        {
            var take = Math.Min(row.Stock, needed);
            if (take > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE stock_buckets SET stock = stock - @take, sold = sold + @take WHERE product_id = @ProductId AND bucket = @Bucket",
                    new { take, request.ProductId, row.Bucket }, transaction, cancellationToken: cancellationToken));
                needed -= take;
            }
        }

        return ProductRowPool;
    }

    /// <summary>The orders are written: their reservations have done their job. One commit for the whole batch.</summary>
    public async Task ConfirmAsync(IReadOnlyCollection<string> claimTokens, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM stock_reservations WHERE claim_token {databases.Dialect.InList("@claimTokens")}", new { claimTokens = claimTokens.ToArray() }, cancellationToken: cancellationToken));
    }

    /// <summary>Gives the stock of an unwritten order back; returns the units returned (0 when already released).</summary>
    public async Task<long> ReleaseAsync(string claimToken, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var released = (await connection.QueryAsync<ReleasedRow>(new CommandDefinition(
            "DELETE FROM stock_reservations WHERE claim_token = @claimToken RETURNING product_id AS ProductId, quantity AS Quantity, bucket AS Bucket",
            new { claimToken }, transaction, cancellationToken: cancellationToken))).AsList();
        foreach (var row in released.OrderBy(r => r.ProductId))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                row.Bucket == ProductRowPool
                    ? "UPDATE products SET stock = stock + @Quantity, sold_count = CASE WHEN sold_count > @Quantity THEN sold_count - @Quantity ELSE 0 END WHERE id = @ProductId"
                    : "UPDATE stock_buckets SET stock = stock + @Quantity, sold = CASE WHEN sold > @Quantity THEN sold - @Quantity ELSE 0 END WHERE product_id = @ProductId AND bucket = @Bucket",
                row, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return released.Sum(r => r.Quantity);
    }

    /// <summary>
    /// Gives a cancelled order's stock back, once: the <c>stock_returns</c> row keyed by the order and the
    /// increments commit together, so a retry, a second instance or reconciliation finds the row and does
    /// nothing. Returns true when this call returned the stock, false when it had been returned already.
    /// Stock comes back to the product's own row (as when one order drained several buckets).
    /// </summary>
    public async Task<bool> ReturnForCancelledOrderAsync(long orderId, IReadOnlyList<StockRequest> lines, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var first = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO stock_returns (order_id, returned_at) VALUES (@orderId, @now) ON CONFLICT DO NOTHING",
            new { orderId, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken)) == 1;
        if (!first)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        foreach (var line in lines.OrderBy(l => l.ProductId))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE products SET stock = stock + @Quantity, sold_count = CASE WHEN sold_count > @Quantity THEN sold_count - @Quantity ELSE 0 END WHERE id = @ProductId",
                line, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Reservations older than <paramref name="olderThan"/>: orders whose request died or is very late.</summary>
    public async Task<IReadOnlyList<HeldReservation>> FindOlderThanAsync(DateTimeOffset olderThan, int max, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<HeldReservation>(new CommandDefinition(
            """
            SELECT DISTINCT claim_token AS ClaimToken, user_id AS UserId, idempotency_key AS IdempotencyKey
            FROM stock_reservations WHERE created_at < @cutoff
            LIMIT @max
            """, new { cutoff = olderThan.ToUnixTimeMilliseconds(), max }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    private sealed record TakenRow(string Name, long PriceCents, string Currency);

    private sealed record ProductInfo(string Name, long PriceCents, string Currency);

    private sealed record BucketRow(long Bucket, long Stock);

    private sealed record ReleasedRow(long ProductId, long Quantity, long Bucket);
}
