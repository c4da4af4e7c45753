using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// A 63-bit, time-ordered id that carries the logical shard of the data it names (Instagram's scheme):
/// <c>[41 bits: ms since 2026-01-01][12 bits: logical shard][10 bits: sequence]</c>.
/// Routing a request therefore needs no directory lookup: the id says where its row lives.
/// Rendered to clients as an opaque decimal string so JavaScript never rounds it.
/// </summary>
public readonly record struct ShardedId(long Value) : IComparable<ShardedId>
{
    public const int SequenceBits = 10;
    public const int ShardBits = 12;
    public const int TimestampBits = 41;
    public const int MaxLogicalShards = 1 << ShardBits;
    public const int MaxSequence = (1 << SequenceBits) - 1;
    public const long MaxTimestamp = (1L << TimestampBits) - 1;

    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public int LogicalShard => (int)((Value >> SequenceBits) & (MaxLogicalShards - 1));

    public long TimestampMilliseconds => Value >> (SequenceBits + ShardBits);

    public DateTimeOffset CreatedAt => Epoch.AddMilliseconds(TimestampMilliseconds);

    public static ShardedId Create(long timestampMilliseconds, int logicalShard, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestampMilliseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timestampMilliseconds, MaxTimestamp);
        ArgumentOutOfRangeException.ThrowIfNegative(logicalShard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(logicalShard, MaxLogicalShards);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, MaxSequence);
        return new ShardedId((timestampMilliseconds << (SequenceBits + ShardBits)) | ((long)logicalShard << SequenceBits) | (long)sequence);
    }

    /// <summary>Parses the client-facing form; anything that is not a positive 63-bit integer is rejected.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ShardedId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > 19 || text[0] == '0' && text.Length > 1)
        {
            return false;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        id = new ShardedId(value);
        return true;
    }

    public int CompareTo(ShardedId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
