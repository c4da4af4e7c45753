using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Cart;

public readonly record struct CartLine(long ProductId, int Quantity);

/// <summary>Cart lines on the user's shard, keyed (user, product).</summary>
public sealed class CartStore(IDatabaseRouter databases, TimeProvider time)
{
    public async Task<IReadOnlyList<CartLine>> GetLinesAsync(ShardedId userId, CancellationToken cancellationToken)
    {
        // Read-your-writes: a cart read right after a change must show the change.
        await using var connection = await databases.OpenShardAsync(userId.LogicalShard, DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<LineRow>(new CommandDefinition(
            "SELECT product_id AS ProductId, quantity AS Quantity FROM cart_items WHERE user_id = @userId ORDER BY updated_at, product_id",
            new { userId = userId.Value }, cancellationToken: cancellationToken));
        return rows.Select(r => new CartLine(r.ProductId, (int)r.Quantity)).ToList();
    }

    /// <summary>Sets a line's quantity; false when it is a new line and the cart already has <paramref name="maxLines"/>.</summary>
    public async Task<bool> SetQuantityAsync(ShardedId userId, long productId, int quantity, int maxLines, CancellationToken cancellationToken)
    {
        // The line-count guard sits in the statement itself, so two concurrent adds cannot both pass it.
        var changed = await databases.WriteToShardAsync(userId.LogicalShard, (connection, cancellationToken) => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO cart_items (user_id, product_id, quantity, updated_at)
            SELECT @userId, @productId, @quantity, @now
            WHERE EXISTS (SELECT 1 FROM cart_items WHERE user_id = @userId AND product_id = @productId)
               OR (SELECT count(*) FROM cart_items WHERE user_id = @userId) < @maxLines
            ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity, updated_at = cart_items.updated_at
            """,
            new { userId = userId.Value, productId, quantity, maxLines, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)), cancellationToken);
        return changed > 0;
    }

    public async Task RemoveAsync(ShardedId userId, long productId, CancellationToken cancellationToken)
    {
        await databases.WriteToShardAsync(userId.LogicalShard, (connection, cancellationToken) => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM cart_items WHERE user_id = @userId AND product_id = @productId",
            new { userId = userId.Value, productId }, cancellationToken: cancellationToken)), cancellationToken);
    }

    private sealed record LineRow(long ProductId, long Quantity);
}
