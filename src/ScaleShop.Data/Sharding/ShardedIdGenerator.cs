namespace ScaleShop.Data.Sharding;

/// <summary>
/// Issues <see cref="ShardedId"/>s for this process. Ids are unique within the process and time-ordered.
/// Across instances there is no coordination: each millisecond's sequence starts at a random point, so two
/// instances writing to the same shard in the same millisecond collide with probability ~1/1024; every
/// insert that uses a fresh id is keyed on it, so a collision surfaces as a unique-key violation and the
/// caller takes a new id (see <c>IsUniqueViolation</c> in the stores) rather than overwriting data.
/// </summary>
public sealed class ShardedIdGenerator(TimeProvider timeProvider)
{
    private const int RandomStartSpan = (ShardedId.MaxSequence + 1) / 2;
    private readonly Lock _gate = new();
    private long _lastTimestamp = -1;
    private int _sequence;

    public ShardedId Next(int logicalShard)
    {
        var now = (long)(timeProvider.GetUtcNow() - ShardedId.Epoch).TotalMilliseconds;
        lock (_gate)
        {
            if (now > _lastTimestamp)
            {
                _lastTimestamp = now;
                _sequence = Random.Shared.Next(RandomStartSpan);
            }
            else if (++_sequence > ShardedId.MaxSequence)
            {
                // More than the sequence space in one millisecond: borrow from the next one. The clock
                // catches up within microseconds, and ids stay strictly increasing.
                _lastTimestamp++;
                _sequence = 0;
            }

            return ShardedId.Create(_lastTimestamp, logicalShard, _sequence);
        }
    }
}
