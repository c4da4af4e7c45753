namespace ScaleShop.Anomalies.Detection;

/// <summary>The last <see cref="Capacity"/> values, oldest at index 0; its size is fixed when it is made.</summary>
internal sealed class RingBuffer(int capacity)
{
    private readonly double[] _items = new double[capacity];
    private int _next;

    public int Capacity => _items.Length;

    public int Count { get; private set; }

    public double this[int index] => _items[(_next - Count + index + _items.Length) % _items.Length];

    public double Newest => this[Count - 1];

    public void Add(double value)
    {
        _items[_next] = value;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
    }

    public double Mean()
    {
        double sum = 0;
        for (var i = 0; i < Count; i++)
        {
            sum += _items[i];
        }

        return Count == 0 ? 0 : sum / Count;
    }
}
