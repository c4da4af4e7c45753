using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Orders;

/// <summary>An order as settlement sees it: amounts in cents, the lines to give back or count.</summary>
public sealed record SettlementOrder(long Id, long UserId, string Status, long TotalCents, string Currency, string? PaymentId,
    DateTimeOffset CreatedAt, long SettleAfter, int SettleAttempts, bool Compensated, IReadOnlyList<SettlementLine> Lines)
{
    public string Reference => Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record SettlementLine(long ProductId, long Quantity, long UnitPriceCents);

public sealed record OrderRef(long OrderId, long UserId);

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
public sealed class OrderStore(IDatabaseRouter databases, ShardedIdGenerator ids, Outbox outbox, TimeProvider time)
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
    /// Writes the order as pending_payment with its order.placed event, completes the claim and (for a checkout)
    /// empties the ordered cart lines, in one local transaction. Until <paramref name="settleAfter"/> the request
    /// owns the payment; after it the settlement worker may take over. Returns null when the claim is no longer
    /// this request's (its lease ran out and it was taken over or released): then nothing is written.
    /// </summary>
    public async Task<Order?> CompleteAsync(ShardedId userId, string key, string claimToken, IReadOnlyList<ReservedLine> lines, bool emptyCart,
        DateTimeOffset settleAfter, CancellationToken cancellationToken)
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
                        UPDATE idempotency_keys SET status = 'completed', order_id = @orderId, response_status = 202
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
                        INSERT INTO orders (id, user_id, status, total_cents, currency, idempotency_key, created_at, updated_at, settle_after)
                        VALUES (@id, @userId, @status, @totalCents, @currency, @key, @now, @now, @settleAfter)
                        """,
                        new { id = orderId.Value, userId = userId.Value, status = OrderStatus.PendingPayment, totalCents, currency, key, now, settleAfter = settleAfter.ToUnixTimeMilliseconds() },
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

                    var eventLines = lines.Select(l => new OrderEventLine(l.ProductId, l.Quantity, l.UnitPriceCents)).ToList();
                    await outbox.AddAsync(connection, transaction, userId, OrderEvents.Placed, OrderEvents.Serialize(
                        new OrderEventPayload(orderId.Value, userId.Value, OrderStatus.PendingPayment, totalCents, currency, null, null, eventLines)), cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    outbox.Committed();
                    return OrderMapping.ToOrder(orderId.Value, OrderStatus.PendingPayment, totalCents, currency, now,
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
    /// Moves a pending order to <paramref name="status"/> with its event, in one transaction, only if it is still
    /// pending: whoever settles first (the request, a worker on any instance, reconciliation) decides, once.
    /// A cancellation is written uncompensated: its stock return and payment undo are still to be done.
    /// </summary>
    public async Task<bool> SettleAsync(SettlementOrder order, string status, string? paymentId, string? reason, CancellationToken cancellationToken)
    {
        var userId = new ShardedId(order.UserId);
        var eventType = status == OrderStatus.Confirmed ? OrderEvents.Confirmed : OrderEvents.Cancelled;
        var payload = OrderEvents.Serialize(new OrderEventPayload(order.Id, order.UserId, status, order.TotalCents, order.Currency, paymentId, reason,
            order.Lines.Select(l => new OrderEventLine(l.ProductId, (int)l.Quantity, l.UnitPriceCents)).ToList()));
        var settled = await databases.WriteToShardAsync(userId.LogicalShard, async (connection, cancellationToken) =>
        {
            await using var transaction = databases.BeginWriteTransaction(connection);
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE orders SET status = @status, payment_id = COALESCE(@paymentId, payment_id), status_reason = @reason, updated_at = @now,
                    compensated = @compensated
                WHERE id = @id AND user_id = @userId AND status = 'pending_payment'
                """,
                new { status, paymentId, reason, now = time.GetUtcNow().ToUnixTimeMilliseconds(), compensated = status == OrderStatus.Cancelled ? 0 : 1, id = order.Id, userId = order.UserId },
                transaction, cancellationToken: cancellationToken));
            if (changed == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }

            await outbox.AddAsync(connection, transaction, userId, eventType, payload, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
        if (settled)
        {
            outbox.Committed();
        }

        return settled;
    }

    /// <summary>The user an order belongs to (its id carries their logical shard), or null when there is no such order.</summary>
    public async Task<long?> FindOwnerAsync(long orderId, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenShardAsync(new ShardedId(orderId).LogicalShard, DataIntent.Write, cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT user_id FROM orders WHERE id = @orderId", new { orderId }, cancellationToken: cancellationToken));
    }

    /// <summary>Everything settlement needs of one order (any status), or null.</summary>
    public async Task<SettlementOrder?> GetForSettlementAsync(long userId, long orderId, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenShardAsync(new ShardedId(userId).LogicalShard, DataIntent.Write, cancellationToken);
        var header = await connection.QuerySingleOrDefaultAsync<SettlementHeader>(new CommandDefinition(
            """
            SELECT id AS Id, user_id AS UserId, status AS Status, total_cents AS TotalCents, currency AS Currency, payment_id AS PaymentId,
                   created_at AS CreatedAt, settle_after AS SettleAfter, settle_attempts AS SettleAttempts, compensated AS Compensated
            FROM orders WHERE id = @orderId AND user_id = @userId
            """, new { orderId, userId }, cancellationToken: cancellationToken));
        if (header is null)
        {
            return null;
        }

        var lines = await connection.QueryAsync<SettlementLine>(new CommandDefinition(
            "SELECT product_id AS ProductId, quantity AS Quantity, unit_price_cents AS UnitPriceCents FROM order_items WHERE order_id = @orderId ORDER BY product_id",
            new { orderId }, cancellationToken: cancellationToken));
        return new SettlementOrder(header.Id, header.UserId, header.Status, header.TotalCents, header.Currency, header.PaymentId,
            DateTimeOffset.FromUnixTimeMilliseconds(header.CreatedAt), header.SettleAfter, (int)header.SettleAttempts, header.Compensated != 0, lines.AsList());
    }

    /// <summary>Orders still waiting for their payment, and cancelled ones not yet compensated, on one physical database.</summary>
    public async Task<(long PendingPayment, long Uncompensated)> CountUnsettledAsync(string physicalDatabase, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        var pending = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'", cancellationToken: cancellationToken));
        var uncompensated = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND compensated = 0", cancellationToken: cancellationToken));
        return (pending, uncompensated);
    }

    /// <summary>Pending orders of one physical database whose turn has come (the request that wrote them gave up or died).</summary>
    public Task<IReadOnlyList<OrderRef>> FindDuePendingAsync(string physicalDatabase, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        FindAsync(physicalDatabase, "status = 'pending_payment' AND settle_after <= @now", "settle_after", new { now = now.ToUnixTimeMilliseconds(), limit }, cancellationToken);

    /// <summary>Cancelled orders whose stock return or payment undo is not yet known to be done.</summary>
    public Task<IReadOnlyList<OrderRef>> FindUncompensatedAsync(string physicalDatabase, int limit, CancellationToken cancellationToken) =>
        FindAsync(physicalDatabase, "status = 'cancelled' AND compensated = 0", "updated_at", new { limit }, cancellationToken);

    /// <summary>
    /// Takes a pending order for one settlement attempt: moves its turn to <paramref name="leaseUntil"/> if nobody
    /// else moved it since it was read. Two workers can read the same order; only one wins the lease.
    /// </summary>
    public async Task<bool> TryLeaseAsync(SettlementOrder order, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        await databases.WriteToShardAsync(new ShardedId(order.UserId).LogicalShard, async (connection, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE orders SET settle_after = @leaseUntil, settle_attempts = settle_attempts + 1
            WHERE id = @id AND user_id = @userId AND status = 'pending_payment' AND settle_after = @seen
            """,
            new { leaseUntil = leaseUntil.ToUnixTimeMilliseconds(), id = order.Id, userId = order.UserId, seen = order.SettleAfter }, cancellationToken: cancellationToken)) == 1,
            cancellationToken);

    /// <summary>Sets when a still-pending order is tried next (after a failed attempt: backoff).</summary>
    public async Task PostponeAsync(SettlementOrder order, DateTimeOffset next, CancellationToken cancellationToken) =>
        await databases.WriteToShardAsync(new ShardedId(order.UserId).LogicalShard, async (connection, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE orders SET settle_after = @next WHERE id = @id AND user_id = @userId AND status = 'pending_payment'",
            new { next = next.ToUnixTimeMilliseconds(), id = order.Id, userId = order.UserId }, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>Records that a cancelled order's stock is back and its payment undone.</summary>
    public async Task MarkCompensatedAsync(SettlementOrder order, CancellationToken cancellationToken) =>
        await databases.WriteToShardAsync(new ShardedId(order.UserId).LogicalShard, async (connection, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE orders SET compensated = 1 WHERE id = @id AND user_id = @userId AND status = 'cancelled'",
            new { id = order.Id, userId = order.UserId }, cancellationToken: cancellationToken)), cancellationToken);

    private async Task<IReadOnlyList<OrderRef>> FindAsync(string physicalDatabase, string condition, string orderBy, object parameters, CancellationToken cancellationToken)
    {
        var owned = databases.WritableShardsOn(physicalDatabase);
        if (owned.Length == 0)
        {
            return [];
        }

        var arguments = new DynamicParameters(parameters);
        arguments.Add("owned", owned);
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        return (await connection.QueryAsync<OrderRef>(new CommandDefinition(
            $"SELECT id AS OrderId, user_id AS UserId FROM orders WHERE {condition} AND {databases.InLogicalShards("user_id", "@owned")} ORDER BY {orderBy} LIMIT @limit",
            arguments, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Forgets completed keys created before <paramref name="createdBefore"/> on one physical database; returns
    /// how many. Only the logical shards the map places there: rows a move left behind (or is copying) are the
    /// mover's, and a fenced shard would refuse the delete.
    /// </summary>
    public async Task<int> PurgeCompletedKeysAsync(string physicalDatabase, DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var owned = databases.WritableShardsOn(physicalDatabase);
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
                WHERE created_at < @cutoff AND status = 'completed' AND {databases.InLogicalShards("user_id", "@owned")}
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
            $"SELECT o.id AS Id, o.status AS Status, o.total_cents AS TotalCents, o.currency AS Currency, o.created_at AS CreatedAt, o.status_reason AS StatusReason FROM orders o {filter}",
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
            lines[h.Id].Select(l => new OrderLine(l.ProductId, l.Name, (int)l.Quantity, Money.FromCents(l.UnitPriceCents))), h.StatusReason)).ToList();
    }

    private static Task<IdempotencyClaim?> GetClaimAsync(System.Data.Common.DbConnection connection, ShardedId userId, string key, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<IdempotencyClaim?>(new CommandDefinition(
            $"SELECT {ClaimColumns} FROM idempotency_keys WHERE user_id = @userId AND idempotency_key = @key",
            new { userId = userId.Value, key }, cancellationToken: cancellationToken));

    private sealed record OrderRow(long Id, string Status, long TotalCents, string Currency, long CreatedAt, string? StatusReason);

    private sealed record SettlementHeader(long Id, long UserId, string Status, long TotalCents, string Currency, string? PaymentId, long CreatedAt, long SettleAfter, long SettleAttempts, long Compensated);

    private sealed record LineRow(long OrderId, long ProductId, string Name, long Quantity, long UnitPriceCents);
}
