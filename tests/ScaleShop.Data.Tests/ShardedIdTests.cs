using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Tests;

public sealed class ShardedIdTests
{
    [Theory]
    [InlineData(0L, 0, 0)]
    [InlineData(1L, 63, 1023)]
    [InlineData(123_456_789L, 4095, 512)]
    [InlineData(ShardedId.MaxTimestamp, 17, 3)]
    public void An_id_carries_its_timestamp_shard_and_sequence(long timestamp, int shard, int sequence)
    {
        var id = ShardedId.Create(timestamp, shard, sequence);
        Assert.True(id.Value >= 0);
        Assert.Equal(timestamp, id.TimestampMilliseconds);
        Assert.Equal(shard, id.LogicalShard);
        Assert.Equal(sequence, (int)(id.Value & ShardedId.MaxSequence));
    }

    [Theory]
    [InlineData(-1L, 0, 0)]
    [InlineData(ShardedId.MaxTimestamp + 1, 0, 0)]
    [InlineData(0L, ShardedId.MaxLogicalShards, 0)]
    [InlineData(0L, 0, ShardedId.MaxSequence + 1)]
    public void Out_of_range_parts_are_refused(long timestamp, int shard, int sequence) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardedId.Create(timestamp, shard, sequence));

    [Fact]
    public void The_string_form_round_trips()
    {
        var id = ShardedId.Create(987_654_321, 42, 7);
        Assert.True(ShardedId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("007")]
    [InlineData("12a")]
    [InlineData(" 12")]
    [InlineData("99999999999999999999")]
    [InlineData("+12")]
    public void Anything_but_a_positive_decimal_is_not_an_id(string? text) => Assert.False(ShardedId.TryParse(text, out _));

    [Fact]
    public async Task The_generator_issues_unique_increasing_ids_under_concurrency()
    {
        var generator = new ShardedIdGenerator(TimeProvider.System);
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var ids = new List<ShardedId>(50_000);
            for (var i = 0; i < 50_000; i++)
            {
                ids.Add(generator.Next(t));
            }

            return ids;
        })));

        Assert.Equal(200_000, perThread.SelectMany(ids => ids).Select(id => id.Value & ~((long)(ShardedId.MaxLogicalShards - 1) << ShardedId.SequenceBits)).Distinct().Count());
        Assert.All(perThread, ids => Assert.True(ids.Zip(ids.Skip(1)).All(pair => pair.First.Value < pair.Second.Value)));
        Assert.All(perThread.Select((ids, shard) => (ids, shard)), x => Assert.All(x.ids, id => Assert.Equal(x.shard, id.LogicalShard)));
    }

    [Fact]
    public void Generated_ids_carry_the_time_they_were_made()
    {
        var time = new FixedTime(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var id = new ShardedIdGenerator(time).Next(5);
        Assert.Equal(time.GetUtcNow(), id.CreatedAt);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
