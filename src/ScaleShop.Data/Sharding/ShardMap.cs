using System.Text.Json.Serialization;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// Maps each logical shard onto a physical database. Logical shards are many and fixed for the life of the
/// data (they are baked into ids); physical databases are few and change as the fleet grows. Moving a
/// logical shard is a change of this map and a copy of its rows, never a rewrite of ids. The map is
/// versioned so that every instance can tell which layout it routes by.
/// </summary>
public sealed record ShardMap
{
    [JsonConstructor]
    public ShardMap(int version, IReadOnlyList<string> physicalDatabases, IReadOnlyList<int> assignments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if (physicalDatabases.Count == 0)
        {
            throw new ArgumentException("A shard map needs at least one physical database.", nameof(physicalDatabases));
        }

        if (assignments.Count is 0 or > ShardedId.MaxLogicalShards)
        {
            throw new ArgumentException($"A shard map has 1 to {ShardedId.MaxLogicalShards} logical shards.", nameof(assignments));
        }

        if (physicalDatabases.Distinct(StringComparer.Ordinal).Count() != physicalDatabases.Count)
        {
            throw new ArgumentException("Physical database names must be unique.", nameof(physicalDatabases));
        }

        foreach (var physical in assignments)
        {
            if (physical < 0 || physical >= physicalDatabases.Count)
            {
                throw new ArgumentException($"Assignment {physical} names no physical database.", nameof(assignments));
            }
        }

        Version = version;
        PhysicalDatabases = physicalDatabases;
        Assignments = assignments;
    }

    public int Version { get; }

    /// <summary>Names of the physical databases, e.g. <c>shard0</c> (no '-': names become environment variable keys); a provider turns a name into a connection.</summary>
    public IReadOnlyList<string> PhysicalDatabases { get; }

    /// <summary>Index into <see cref="PhysicalDatabases"/> for each logical shard.</summary>
    public IReadOnlyList<int> Assignments { get; }

    [JsonIgnore]
    public int LogicalShardCount => Assignments.Count;

    public string PhysicalDatabaseOf(int logicalShard)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logicalShard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(logicalShard, LogicalShardCount);
        return PhysicalDatabases[Assignments[logicalShard]];
    }

    /// <summary>The next version, with <paramref name="logicalShard"/> on <paramref name="physicalDatabase"/> (added to the list if new).</summary>
    public ShardMap WithAssignment(int logicalShard, string physicalDatabase)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logicalShard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(logicalShard, LogicalShardCount);
        var names = PhysicalDatabases.ToList();
        var index = names.IndexOf(physicalDatabase);
        if (index < 0)
        {
            names.Add(physicalDatabase);
            index = names.Count - 1;
        }

        var assignments = Assignments.ToArray();
        assignments[logicalShard] = index;
        return new ShardMap(Version + 1, names, assignments);
    }

    /// <summary>Logical shards in contiguous ranges over the physical databases (0–15 → shard0, ...).</summary>
    public static ShardMap CreateDefault(int logicalShards, int physicalDatabases)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(physicalDatabases, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(logicalShards, physicalDatabases);
        var names = Enumerable.Range(0, physicalDatabases).Select(i => $"shard{i}").ToArray();
        var assignments = Enumerable.Range(0, logicalShards).Select(l => (int)((long)l * physicalDatabases / logicalShards)).ToArray();
        return new ShardMap(1, names, assignments);
    }
}
