using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Tests;

public sealed class ShardMapTests
{
    [Fact]
    public void The_default_map_spreads_logical_shards_evenly_in_contiguous_ranges()
    {
        var map = ShardMap.CreateDefault(64, 4);
        Assert.Equal(1, map.Version);
        Assert.All(Enumerable.Range(0, 64), l => Assert.Equal($"shard{l / 16}", map.PhysicalDatabaseOf(l)));
        Assert.All(map.Assignments.CountBy(a => a), group => Assert.Equal(16, group.Value));
    }

    [Fact]
    public void Uneven_counts_differ_by_at_most_one_shard()
    {
        var counts = ShardMap.CreateDefault(64, 5).Assignments.CountBy(a => a).Select(g => g.Value).ToList();
        Assert.Equal(5, counts.Count);
        Assert.True(counts.Max() - counts.Min() <= 1);
    }

    [Fact]
    public void Invalid_maps_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ShardMap(1, [], [0]));
        Assert.Throws<ArgumentException>(() => new ShardMap(1, ["a", "a"], [0, 1]));
        Assert.Throws<ArgumentException>(() => new ShardMap(1, ["a"], [0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(0, ["a"], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardMap.CreateDefault(64, 4).PhysicalDatabaseOf(64));
    }

    [Fact]
    public void Moving_a_logical_shard_makes_the_next_version_and_changes_nothing_else()
    {
        var map = ShardMap.CreateDefault(64, 4);
        var moved = map.WithAssignment(5, "shard3");
        Assert.Equal(2, moved.Version);
        Assert.Equal("shard3", moved.PhysicalDatabaseOf(5));
        Assert.All(Enumerable.Range(0, 64).Where(l => l != 5), l => Assert.Equal(map.PhysicalDatabaseOf(l), moved.PhysicalDatabaseOf(l)));

        var grown = moved.WithAssignment(6, "shard4");
        Assert.Equal(["shard0", "shard1", "shard2", "shard3", "shard4"], grown.PhysicalDatabases);
        Assert.Equal("shard4", grown.PhysicalDatabaseOf(6));
        Assert.Equal(3, grown.Version);
    }

    [Fact]
    public void Email_placement_is_stable_case_insensitive_and_spread()
    {
        var shard = ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(" Alice@Example.COM "), 64);
        Assert.Equal(shard, ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail("alice@example.com"), 64));
        // Pinned: placement must never change between releases, or existing users could not sign in.
        Assert.Equal(50, shard);
        var counts = Enumerable.Range(0, 64_000).Select(i => ShardKeys.LogicalShardForEmail($"USER{i}@EXAMPLE.COM", 64)).CountBy(s => s).ToList();
        Assert.Equal(64, counts.Count);
        Assert.All(counts, c => Assert.InRange(c.Value, 800, 1200));
    }
}
