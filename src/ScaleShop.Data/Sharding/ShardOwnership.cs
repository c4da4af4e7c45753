namespace ScaleShop.Data.Sharding;

public static class ShardOwnership
{
    /// <summary>
    /// The logical shards a physical database serves writes for now: placed there by the map and not paused by
    /// a move. Jobs that sweep a physical database (outbox, settlement, purges) touch only these: rows a move
    /// left behind, or is copying, are the mover's, and a fenced shard would refuse the write anyway.
    /// </summary>
    public static long[] WritableShardsOn(this IDatabaseRouter databases, string physicalDatabase)
    {
        var map = databases.ShardMap;
        return Enumerable.Range(0, map.LogicalShardCount)
            .Where(l => map.PhysicalDatabaseOf(l) == physicalDatabase && !databases.Routing.IsPaused(l)).Select(l => (long)l).ToArray();
    }

    /// <summary>SQL predicate: the row's <paramref name="shardKeyColumn"/> (a sharded id) is in the logical shards of <paramref name="parameter"/>.</summary>
    public static string InLogicalShards(this IDatabaseRouter databases, string shardKeyColumn, string parameter) =>
        $"(({shardKeyColumn} >> {ShardedId.SequenceBits}) & {ShardedId.MaxLogicalShards - 1}) {databases.Dialect.InList(parameter)}";
}
