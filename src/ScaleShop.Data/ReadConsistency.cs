using System.Collections.Concurrent;

namespace ScaleShop.Data;

/// <summary>
/// What one flow of work (an HTTP request) must read and what it wrote, per database. A reader that wrote
/// before carries the write's log position (on PostgreSQL the WAL LSN) as a token; a replica may serve
/// its reads only once it has replayed that far. Flows through async calls with the request; the data tier
/// reads it, the HTTP edge fills it from and returns it to the client.
/// </summary>
public sealed class ReadConsistency
{
    private static readonly AsyncLocal<ReadConsistency?> Ambient = new();
    // Created on first use: most requests (cached reads) neither carry a token nor write, and every request
    // gets one of these, so an empty one must cost an object header and nothing more.
    private ConcurrentDictionary<string, ulong>? _required;
    private ConcurrentDictionary<string, byte>? _written;

    public static ReadConsistency? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    /// <summary>Databases this flow opened for writing.</summary>
    public IReadOnlyCollection<string> Written => _written?.Keys.ToArray() ?? [];

    public void Require(string database, ulong position) =>
        LazyInitializer.EnsureInitialized(ref _required, () => new(StringComparer.Ordinal))
            .AddOrUpdate(database, position, (_, existing) => Math.Max(existing, position));

    public ulong RequiredPosition(string database) => _required is { } required && required.TryGetValue(database, out var position) ? position : 0;

    public void MarkWritten(string database) =>
        LazyInitializer.EnsureInitialized(ref _written, () => new(StringComparer.Ordinal)).TryAdd(database, 0);

    /// <summary><c>shard0=1A/2B3C4D5E;catalog=0/16B3748</c>: database=LSN pairs.</summary>
    public static string Format(IEnumerable<KeyValuePair<string, ulong>> positions) =>
        string.Join(';', positions.Select(p => $"{p.Key}={p.Value >> 32:X}/{p.Value & 0xFFFF_FFFF:X}"));

    /// <summary>Reads a token back; malformed parts are ignored (the read then goes to the primary's freshness rules as usual).</summary>
    public void RequireFrom(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 4096)
        {
            return;
        }

        foreach (var part in token.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && TryParseLsn(part[(equals + 1)..], out var lsn))
            {
                Require(part[..equals], lsn);
            }
        }
    }

    public static bool TryParseLsn(string text, out ulong lsn)
    {
        lsn = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !uint.TryParse(text.AsSpan(0, slash), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        lsn = ((ulong)high << 32) | low;
        return true;
    }
}
