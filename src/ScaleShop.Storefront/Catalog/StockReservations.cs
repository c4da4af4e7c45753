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
            if (taken is null)
            {
                var available = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "SELECT stock FROM products WHERE id = @ProductId", request, transaction, cancellationToken: cancellationToken));
                await transaction.RollbackAsync(cancellationToken);
                return available is null
                    ? new ReservationOutcome.UnknownProduct(request.ProductId)
                    : new ReservationOutcome.InsufficientStock(request.ProductId, request.Quantity, (int)available.Value);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO stock_reservations (claim_token, product_id, quantity, user_id, idempotency_key, created_at)
                VALUES (@claimToken, @ProductId, @Quantity, @userId, @idempotencyKey, @now)
                """, new { claimToken, request.ProductId, request.Quantity, userId, idempotencyKey, now }, transaction, cancellationToken: cancellationToken));
            lines.Add(new ReservedLine(request.ProductId, taken.Name, request.Quantity, taken.PriceCents, taken.Currency));
        }

        await transaction.CommitAsync(cancellationToken);
        return new ReservationOutcome.Reserved(lines);
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
            "DELETE FROM stock_reservations WHERE claim_token = @claimToken RETURNING product_id AS ProductId, quantity AS Quantity",
            new { claimToken }, transaction, cancellationToken: cancellationToken))).AsList();
        foreach (var row in released.OrderBy(r => r.ProductId))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE products SET stock = stock + @Quantity, sold_count = CASE WHEN sold_count > @Quantity THEN sold_count - @Quantity ELSE 0 END WHERE id = @ProductId",
                row, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return released.Sum(r => r.Quantity);
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

    private sealed record ReleasedRow(long ProductId, long Quantity);
}
