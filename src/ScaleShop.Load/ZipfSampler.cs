namespace ScaleShop.Load;

/// <summary>
/// Zipf-distributed ranks 1..N (rank k drawn with probability proportional to 1/k^s), by binary search in
/// a precomputed cumulative table: O(log N) per draw and no allocation. Ranks are scattered over item ids
/// by a fixed permutation, so the most popular products are not simply the first ids (nor one category).
/// </summary>
public sealed class ZipfSampler
{
    private readonly double[] _cumulative;
    private readonly long _count;
    private readonly long _stride;

    public ZipfSampler(long count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 50_000_000);
        ArgumentOutOfRangeException.ThrowIfNegative(exponent);
        _count = count;
        _cumulative = new double[count];
        double total = 0;
        for (long rank = 1; rank <= count; rank++)
        {
            total += 1.0 / Math.Pow(rank, exponent);
            _cumulative[rank - 1] = total;
        }

        for (long i = 0; i < count; i++)
        {
            _cumulative[i] /= total;
        }

        _stride = CoprimeStride(count);
    }

    /// <summary>A rank: 1 is the most popular.</summary>
    public long NextRank(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return (index < 0 ? ~index : index) + 1;
    }

    /// <summary>An item id in 1..N: the rank, scattered.</summary>
    public long Next(Random random) => IdOfRank(NextRank(random));

    public long IdOfRank(long rank) => (((rank - 1) * _stride) % _count) + 1;

    /// <summary>Share of draws that land on the <paramref name="ranks"/> most popular items.</summary>
    public double ShareOfTop(long ranks) => _cumulative[Math.Clamp(ranks, 1, _count) - 1];

    private static long CoprimeStride(long count)
    {
        var stride = Math.Max(1, (long)(count * 0.618_033_988_7));
        while (Gcd(stride, count) != 1)
        {
            stride++;
        }

        return stride;
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
