using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Orders;

public sealed record IdempotencyClaim(string RequestHash, string ClaimToken, string Status, long? OrderId, long? ResponseStatus, long LockedUntil)
{
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
}

/// <summary>
/// Orders and Idempotency-Key claims on the user's shard. The claim row is the arbiter of an order's fate:
/// an order is written only in the same transaction that moves the caller's own claim from in_progress to
/// completed, so at most one order can ever exist per (user, key), whatever runs concurrently.
/// </summary>
public sealed class OrderStore(IDatabaseRouter databases, ShardedIdGenerator ids, TimeProvider time)
{
    private const int MaxIdCollisionRetries = 3;
    private const string ClaimColumns =
        "request_hash AS RequestHash, claim_token AS ClaimToken, status AS Status, order_id AS OrderId, response_status AS ResponseStatus, locked_until AS LockedUntil";

    /// <summary>Claims the key for this request; returns null when claimed, or the claim that already holds it.</summary>
    public async Task<IdempotencyClaim?> TryClaimAsync(ShardedId userId, string key, string requestHash, string claimToken, DateTimeOffset lockedUntil, CancellationToken cancellationToken)
    {
        return await databases.WriteToShardAsync(userId.LogicalShard, async (connection, cancellationToken) =>
        {
            while (true)
            {
                var inserted = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, claim_token, status, locked_until, created_at)
                    VALUES (@userId, @key, @requestHash, @claimToken, 'in_progress', @lockedUntil, @now)
                    ON CONFLICT DO NOTHING
                    """,
                    new { userId = userId.Value, key, requestHash, claimToken, lockedUntil = lockedUntil.ToUnixTimeMilliseconds(), now = time.GetUtcNow().ToUnixTimeMilliseconds() },
                    cancellationToken: cancellationToken));
                if (inserted == 1)
                {
                    return null;
                }

                // The holder may release the key between our insert and this read; then try the insert again.
                if (await GetClaimAsync(connection, userId, key, cancellationToken) is { } existing)
                {
                    return existing;
                }
            }
        }, cancellationToken);
    }

    public async Task<IdempotencyClaim?> GetClaimAsync(ShardedId userId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenShardAsync(userId.LogicalShard, DataIntent.ReadYourWrites, cancellationToken);
        return await GetClaimAsync(connection, userId, key, cancellationToken);
    }

    /// <summary>Takes over a claim whose owner's lease ran out (the owner died or stalled).</summary>
    public async Task<bool> TryTakeOverAsync(ShardedId userId, string key, string expiredToken, string claimToken, DateTimeOffset lockedUntil, CancellationToken cancellationToken)
    {
        return await databases.WriteToShardAsync(userId.LogicalShard, async (connection, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE idempotency_keys SET claim_token = @claimToken, locked_until = @lockedUntil
            WHERE user_id = @userId AND idempotency_key = @key AND claim_token = @expiredToken AND status = 'in_progress' AND locked_until < @now
            """,
            new { userId = userId.Value, key, expiredToken, claimToken, lockedUntil = lockedUntil.ToUnixTimeMilliseconds(), now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    /// <summary>
    /// Gives the key up (the request failed before writing an order) so that a retry runs afresh.
    /// With <paramref name="onlyIfLeaseExpired"/>, only a claim whose owner's lease has run out.
    /// </summary>
    public async Task<bool> ReleaseClaimAsync(ShardedId userId, string key, string claimToken, bool onlyIfLeaseExpired, CancellationToken cancellationToken)
    {
        return await databases.WriteToShardAsync(userId.LogicalShard, async (connection, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            $"""
            DELETE FROM idempotency_keys
            WHERE user_id = @userId AND idempotency_key = @key AND claim_token = @claimToken AND status = 'in_progress'
            {(onlyIfLeaseExpired ? "AND locked_until < @now" : "")}
            """,
            new { userId = userId.Value, key, claimToken, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    /// <summary>
    /// Writes the order, completes the claim and (for a checkout) empties the ordered cart lines, in one local
    /// transaction. Returns null when the claim is no longer this request's (its lease ran out and it was
    /// taken over or released): then nothing is written.
    /// </summary>
    public async Task<Order?> CompleteAsync(ShardedId userId, string key, string claimToken, IReadOnlyList<ReservedLine> lines, bool emptyCart, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var totalCents = lines.Sum(l => l.UnitPriceCents * l.Quantity);
        var currency = lines[0].Currency;
        return await databases.WriteToShardAsync(userId.LogicalShard, async (connection, cancellationToken) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var orderId = ids.Next(userId.LogicalShard);
                await using var transaction = databases.BeginWriteTransaction(connection);
                try
                {
                    var completed = await connection.ExecuteAsync(new CommandDefinition(
                        """
                        UPDATE idempotency_keys SET status = 'completed', order_id = @orderId, response_status = 201
                        WHERE user_id = @userId AND idempotency_key = @key AND claim_token = @claimToken AND status = 'in_progress'
                        """,
                        new { orderId = orderId.Value, userId = userId.Value, key, claimToken }, transaction, cancellationToken: cancellationToken));
                    if (completed == 0)
                    {
                        await transaction.RollbackAsync(cancellationToken);
                        return null;
                    }

                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO orders (id, user_id, status, total_cents, currency, idempotency_key, created_at)
                        VALUES (@id, @userId, @status, @totalCents, @currency, @key, @now)
                        """,
                        new { id = orderId.Value, userId = userId.Value, status = OrderStatus.Confirmed, totalCents, currency, key, now },
                        transaction, cancellationToken: cancellationToken));
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents)
                        VALUES (@orderId, @ProductId, @Name, @Quantity, @UnitPriceCents)
                        """,
                        lines.Select(l => new { orderId = orderId.Value, l.ProductId, l.Name, l.Quantity, l.UnitPriceCents }),
                        transaction, cancellationToken: cancellationToken));
                    if (emptyCart)
                    {
                        await connection.ExecuteAsync(new CommandDefinition(
                            $"DELETE FROM cart_items WHERE user_id = @userId AND product_id {databases.Dialect.InList("@productIds")}",
                            new { userId = userId.Value, productIds = lines.Select(l => l.ProductId).ToArray() }, transaction, cancellationToken: cancellationToken));
                    }

                    await transaction.CommitAsync(cancellationToken);
                    return OrderMapping.ToOrder(orderId.Value, OrderStatus.Confirmed, totalCents, currency, now,
                        lines.Select(l => new OrderLine(l.ProductId, l.Name, l.Quantity, Money.FromCents(l.UnitPriceCents))));
                }
                catch (Exception exception) when (databases.Dialect.IsUniqueViolation(exception) && attempt < MaxIdCollisionRetries)
                {
                    await transaction.RollbackAsync(cancellationToken);
                }
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Forgets completed keys created before <paramref name="createdBefore"/> on one physical database; returns
    /// how many. Only the logical shards the map places there: rows a move left behind (or is copying) are the
    /// mover's, and a fenced shard would refuse the delete.
    /// </summary>
    public async Task<int> PurgeCompletedKeysAsync(string physicalDatabase, DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var map = databases.ShardMap;
        var owned = Enumerable.Range(0, map.LogicalShardCount)
            .Where(l => map.PhysicalDatabaseOf(l) == physicalDatabase && !databases.Routing.IsPaused(l)).Select(l => (long)l).ToArray();
        if (owned.Length == 0)
        {
            return 0;
        }

        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        try
        {
            return await connection.ExecuteAsync(new CommandDefinition(
                $"""
                DELETE FROM idempotency_keys
                WHERE created_at < @cutoff AND status = 'completed' AND ((user_id >> {ShardedId.SequenceBits}) & {ShardedId.MaxLogicalShards - 1}) {databases.Dialect.InList("@owned")}
                """,
                new { cutoff = createdBefore.ToUnixTimeMilliseconds(), owned }, cancellationToken: cancellationToken));
        }
        catch (Exception exception) when (databases.Dialect.IsShardFenced(exception))
        {
            return 0; // a move froze one of these shards a moment ago: the next sweep purges it wherever it lives
        }
    }

    /// <summary>One of the user's orders; ownership is part of the query, so another user's id finds nothing.</summary>
    public async Task<Order?> GetAsync(ShardedId userId, ShardedId orderId, CancellationToken cancellationToken)
    {
        if (orderId.LogicalShard != userId.LogicalShard || orderId.LogicalShard >= databases.ShardMap.LogicalShardCount)
        {
            return null;
        }

        await using var connection = await databases.OpenShardAsync(userId.LogicalShard, DataIntent.ReadYourWrites, cancellationToken);
        var orders = await LoadAsync(connection, "WHERE o.id = @orderId AND o.user_id = @userId",
            new { orderId = orderId.Value, userId = userId.Value }, cancellationToken);
        return orders.Count == 0 ? null : orders[0];
    }

    /// <summary>The user's orders, newest first (ids are time-ordered), keyset-paginated on the id.</summary>
    public async Task<IReadOnlyList<Order>> ListAsync(ShardedId userId, long beforeId, int take, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenShardAsync(userId.LogicalShard, DataIntent.ReadYourWrites, cancellationToken);
        return await LoadAsync(connection, "WHERE o.user_id = @userId AND o.id < @beforeId ORDER BY o.id DESC LIMIT @take",
            new { userId = userId.Value, beforeId, take }, cancellationToken);
    }

    private async Task<IReadOnlyList<Order>> LoadAsync(System.Data.Common.DbConnection connection, string filter, object parameters, CancellationToken cancellationToken)
    {
        var headers = (await connection.QueryAsync<OrderRow>(new CommandDefinition(
            $"SELECT o.id AS Id, o.status AS Status, o.total_cents AS TotalCents, o.currency AS Currency, o.created_at AS CreatedAt FROM orders o {filter}",
            parameters, cancellationToken: cancellationToken))).AsList();
        if (headers.Count == 0)
        {
            return [];
        }

        var lines = (await connection.QueryAsync<LineRow>(new CommandDefinition(
            $"""
            SELECT order_id AS OrderId, product_id AS ProductId, product_name AS Name, quantity AS Quantity, unit_price_cents AS UnitPriceCents
            FROM order_items WHERE order_id {databases.Dialect.InList("@orderIds")} ORDER BY order_id, product_id
            """, new { orderIds = headers.Select(h => h.Id).ToArray() }, cancellationToken: cancellationToken))).ToLookup(l => l.OrderId);

        return headers.Select(h => OrderMapping.ToOrder(h.Id, h.Status, h.TotalCents, h.Currency, h.CreatedAt,
            lines[h.Id].Select(l => new OrderLine(l.ProductId, l.Name, (int)l.Quantity, Money.FromCents(l.UnitPriceCents))))).ToList();
    }

    private static Task<IdempotencyClaim?> GetClaimAsync(System.Data.Common.DbConnection connection, ShardedId userId, string key, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<IdempotencyClaim?>(new CommandDefinition(
            $"SELECT {ClaimColumns} FROM idempotency_keys WHERE user_id = @userId AND idempotency_key = @key",
            new { userId = userId.Value, key }, cancellationToken: cancellationToken));

    private sealed record OrderRow(long Id, string Status, long TotalCents, string Currency, long CreatedAt);

    private sealed record LineRow(long OrderId, long ProductId, string Name, long Quantity, long UnitPriceCents);
}
