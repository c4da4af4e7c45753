namespace ScaleShop.Data.Sharding.Resharding;

/// <summary>
/// A user-data table as the mover sees it: its columns, the column whose sharded id names the row's logical
/// shard, and its primary key with the columns of <c>shard_changes</c> the fence trigger logs it in
/// (<c>id1</c>, <c>id2</c>: integers; <c>txt</c>: text), so that a catch-up re-copies exactly the rows that changed.
/// </summary>
public sealed record ShardTable(string Name, string[] Columns, string ShardKeyColumn, string[] KeyColumns, string[] LogColumns)
{
    public string ColumnList => string.Join(", ", Columns);

    /// <summary>The rows of logical shard <c>@shard</c>: bits 10-21 of the sharded id (see <see cref="ShardedId"/>).</summary>
    public string ShardPredicate => $"(({ShardKeyColumn} >> {ShardedId.SequenceBits}) & {ShardedId.MaxLogicalShards - 1}) = @shard";
}

public static class ShardTables
{
    /// <summary>
    /// Every table of a physical shard that holds user data. The fence triggers (migration 0002 of the shard
    /// schema) log the same keys. A table added to the shard schema must be added here and there (a test checks).
    /// </summary>
    public static readonly IReadOnlyList<ShardTable> All =
    [
        new("accounts", ["id", "email", "display_name", "password_hash", "is_admin", "created_at"], "id", ["id"], ["id1"]),
        new("email_index", ["normalized_email", "user_id"], "user_id", ["normalized_email"], ["txt"]),
        new("cart_items", ["user_id", "product_id", "quantity", "updated_at"], "user_id", ["user_id", "product_id"], ["id1", "id2"]),
        new("orders", ["id", "user_id", "status", "total_cents", "currency", "idempotency_key", "created_at",
            "payment_id", "updated_at", "settle_after", "settle_attempts", "status_reason", "compensated"], "user_id", ["id"], ["id1"]),
        new("order_items", ["order_id", "product_id", "product_name", "quantity", "unit_price_cents"], "order_id", ["order_id", "product_id"], ["id1", "id2"]),
        new("idempotency_keys", ["user_id", "idempotency_key", "request_hash", "claim_token", "status", "order_id", "response_status", "locked_until", "created_at"],
            "user_id", ["user_id", "idempotency_key"], ["id1", "txt"]),
        // Events not yet published move with their shard; the target's dispatcher publishes them (consumers
        // are idempotent, so one published from both sides around the flip is applied once).
        new("outbox", ["id", "user_id", "event_type", "payload", "created_at", "trace_parent"], "user_id", ["id"], ["id1"]),
    ];

    /// <summary>Tables of the shard schema that hold no user rows and are not copied.</summary>
    public static readonly IReadOnlySet<string> Bookkeeping = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "shard_fences", "shard_changes", "schemaversions",
    };
}
