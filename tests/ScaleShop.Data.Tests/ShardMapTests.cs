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
    public void The_map_file_is_written_once_and_wins_over_later_configuration()
    {
        var directory = Path.Combine(Path.GetTempPath(), "scaleshop-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var first = ShardMapFile.LoadOrCreate(directory, 64, 4);
            var later = ShardMapFile.LoadOrCreate(directory, 128, 8);
            Assert.Equal(first.PhysicalDatabases, later.PhysicalDatabases);
            Assert.Equal(first.Assignments, later.Assignments);
            Assert.Equal(64, later.LogicalShardCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Instances_starting_together_on_a_new_folder_agree_on_one_map()
    {
        var directory = Path.Combine(Path.GetTempPath(), "scaleshop-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var maps = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => ShardMapFile.LoadOrCreate(directory, 64, 1 + (i % 4)))));
            Assert.Single(maps.Select(m => string.Join(',', m.Assignments)).Distinct());
            Assert.Single(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
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
