namespace ScaleShop.Data.Sharding.Resharding;

/// <summary>
/// A user-data table as the mover sees it: its columns, the column whose sharded id names the row's logical
/// shard, and how to select the rows of one user (or one order) for the catch-up re-copy.
/// </summary>
public sealed record ShardTable(string Name, string[] Columns, string ShardKeyColumn, string UserFilter, string? OrderFilter)
{
    public string ColumnList => string.Join(", ", Columns);

    /// <summary>The rows of logical shard <c>@shard</c>: bits 10-21 of the sharded id (see <see cref="ShardedId"/>).</summary>
    public string ShardPredicate => $"(({ShardKeyColumn} >> {ShardedId.SequenceBits}) & {ShardedId.MaxLogicalShards - 1}) = @shard";
}

public static class ShardTables
{
    /// <summary>
    /// Every table of a physical shard that holds user data. Order matters for deletes: order_items is found
    /// through orders, so it goes first. A table added to the shard schema must be added here (a test checks).
    /// </summary>
    public static readonly IReadOnlyList<ShardTable> All =
    [
        new("order_items", ["order_id", "product_id", "product_name", "quantity", "unit_price_cents"], "order_id",
            "order_id IN (SELECT id FROM orders WHERE user_id {0})", "order_id {0}"),
        new("orders", ["id", "user_id", "status", "total_cents", "currency", "idempotency_key", "created_at"], "user_id",
            "user_id {0}", "id {0}"),
        new("accounts", ["id", "email", "display_name", "password_hash", "is_admin", "created_at"], "id", "id {0}", null),
        new("email_index", ["normalized_email", "user_id"], "user_id", "user_id {0}", null),
        new("cart_items", ["user_id", "product_id", "quantity", "updated_at"], "user_id", "user_id {0}", null),
        new("idempotency_keys", ["user_id", "idempotency_key", "request_hash", "claim_token", "status", "order_id", "response_status", "locked_until", "created_at"],
            "user_id", "user_id {0}", null),
    ];

    /// <summary>Tables of the shard schema that hold no user rows and are not copied.</summary>
    public static readonly IReadOnlySet<string> Bookkeeping = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "shard_fences", "shard_changes", "schemaversions",
    };
}
