namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// A context/prediction detector after the idea of CAD OSE (Contextual Anomaly Detector, open source edition, M.
/// Smirnov, NAB 2016), written from its published description: values are quantised into a few bins between a learned
/// minimum and maximum, the recent bins form contexts, the detector remembers which contexts it has seen followed by
/// which bin, and the raw score is the share of the current contexts that were not predicted (never seen before).
/// Here a context is the last k bins for every order k = 1..<see cref="ContextOptions.MaxOrder"/>, plus one set context
/// (CAD OSE's left semi-context taken as the set of bins of the last <see cref="ContextOptions.SetWindow"/> points,
/// crossed with the current bin), and "predicted" means the context was seen followed by the current bin; CAD OSE's
/// active-context facts (contexts fed back as facts) are not reproduced. The memory of contexts is a fixed set-associative table with least-recently-used
/// replacement (<see cref="ContextOptions.Capacity"/> entries), so a series that keeps producing new patterns forgets
/// its oldest ones instead of growing.
/// </summary>
internal sealed class ContextDetector
{
    private const int Ways = 4;

    private readonly ContextOptions _options;
    private readonly uint[] _keys;
    private readonly uint[] _used;
    private readonly int _sets;
    private readonly int _bits;
    private uint _history;
    private int _historyLength;
    private int _setLength;
    private uint _clock;
    private int _sinceHigh = int.MaxValue;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    public ContextDetector(ContextOptions options)
    {
        if (options.MaxOrder is < 1 || (options.MaxOrder + 1) * options.Bits > 28 || options.Capacity % Ways != 0 ||
            options.SetWindow * options.Bits > 30 || (options.SetWindow > 0 && (1 << options.Bits) + options.Bits > 28))
        {
            throw new ArgumentException(
                "A context key holds (MaxOrder + 1) bins of Bits each in 28 bits; Capacity is a multiple of 4; the set context holds SetWindow bins of Bits each in 30 bits and a mask of 2^Bits bins plus one bin in 28.",
                nameof(options));
        }

        _options = options;
        _bits = options.Bits;
        _keys = new uint[options.Capacity];
        _used = new uint[options.Capacity];
        _sets = options.Capacity / Ways;
    }

    public int BufferLength => _keys.Length + _used.Length;

    /// <summary>Contexts held now (never more than <see cref="ContextOptions.Capacity"/>).</summary>
    public int Count => _keys.Count(key => key != 0);

    public double Update(double value)
    {
        _min = Math.Min(_min, value);
        _max = Math.Max(_max, value);
        var bin = Bin(value);
        _clock++;

        double unseen = 0, total = 0;
        var orders = Math.Min(_historyLength, _options.MaxOrder);
        for (var k = 1; k <= orders; k++)
        {
            // Key: the order, then the last k bins and the current one; never 0, which marks an empty slot.
            var sequence = (_history & ((1u << (k * _bits)) - 1)) << _bits | (uint)bin;
            var key = ((uint)k << 28) | sequence;
            var weight = _options.OrderWeighting ? k : 1.0;
            total += weight;
            if (!Remember(key))
            {
                unseen += weight;
            }
        }

        // CAD OSE's left semi-context as a set of facts: which bins the last SetWindow values visited (in any order,
        // a bit mask), crossed with the current bin; one more context beside the n-grams, counted like one order.
        if (_options.SetWindow > 0 && _setLength >= _options.SetWindow)
        {
            uint mask = 0;
            for (var j = 0; j < _options.SetWindow; j++)
            {
                mask |= 1u << (int)((_history >> (j * _bits)) & ((1u << _bits) - 1));
            }

            var key = (15u << 28) | (mask << _bits) | (uint)bin; // tag 15: above any order (at most 13)
            var weight = _options.SetWeight;
            total += weight;
            if (!Remember(key))
            {
                unseen += weight;
            }
        }

        _setLength = Math.Min(_setLength + 1, Math.Max(_options.SetWindow, 1));
        _history = (_history << _bits) | (uint)bin;
        _historyLength = Math.Min(_historyLength + 1, _options.MaxOrder);
        var raw = total == 0 || _clock <= _options.Warmup ? 0 : unseen / total;

        // CAD OSE's rest period: a score is passed on only when no raw score in the previous RestPoints reached
        // RestThreshold (a counter since the last such score, so no history is stored).
        var rested = _sinceHigh >= _options.RestPoints;
        _sinceHigh = raw >= _options.RestThreshold ? 0 : Math.Min(_sinceHigh, _options.RestPoints - 1) + 1;
        return rested ? raw : 0;
    }

    // Quantises against the range seen so far, padded on both sides so that the first points do not sit on its edges.
    private int Bin(double value)
    {
        var bins = 1 << _bits;
        var range = _max - _min;
        if (range <= 0)
        {
            return bins / 2;
        }

        var pad = range * _options.RangePadding;
        var position = (value - (_min - pad)) / (range + (2 * pad));
        return Math.Clamp((int)(position * bins), 0, bins - 1);
    }

    // True when the key was in the table; either way it is now, as the most recently used entry of its set.
    private bool Remember(uint key)
    {
        var set = (int)(Mix(key) % (uint)_sets) * Ways;
        var victim = set;
        for (var i = set; i < set + Ways; i++)
        {
            if (_keys[i] == key)
            {
                _used[i] = _clock;
                return true;
            }

            if (_keys[i] == 0 || _used[i] < _used[victim])
            {
                victim = i;
                if (_keys[i] == 0)
                {
                    break;
                }
            }
        }

        _keys[victim] = key;
        _used[victim] = _clock;
        return false;
    }

    private static uint Mix(uint key)
    {
        key ^= key >> 16;
        key *= 0x7feb352d;
        key ^= key >> 15;
        key *= 0x846ca68b;
        key ^= key >> 16;
        return key;
    }
}

/// <summary>
/// Bits: a value is one of 2^Bits bins. MaxOrder: the longest context, in points. Capacity: contexts remembered per
/// series (least recently used forgotten first). RangePadding: share of the learned range added on each side.
/// Warmup: points before any score. OrderWeighting: a longer context's surprise counts more. SetWindow (0 = off): the
/// set context, "the bins visited in the last SetWindow points (unordered) → the current bin", counted with SetWeight
/// beside the orders (round 5, chosen on half of NAB and checked on the other half; docs/anomaly-detection.md).
/// </summary>
public sealed record ContextOptions(int Bits = 3, int MaxOrder = 3, int Capacity = 1024, double RangePadding = 0.3, int Warmup = 20, bool OrderWeighting = false,
    int RestPoints = 0, double RestThreshold = 0.75, bool Calibrate = true, int SetWindow = 7, double SetWeight = 1.0);
