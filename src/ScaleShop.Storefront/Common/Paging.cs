using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace ScaleShop.Storefront.Common;

/// <summary>A page of a keyset-paginated list; <see cref="Next"/> is the opaque cursor of the following page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>A validated page request: how many, and after which row (already decoded).</summary>
public readonly record struct PageRequest(int Limit, string[]? After)
{
    /// <summary>Validates <c>limit</c> and decodes <c>after</c>; the cursor's parts are opaque to clients.</summary>
    public static PageRequest Parse(int? limit, string? after, int partsInCursor, ApiOptions options, ValidationErrors errors)
    {
        var size = limit ?? options.DefaultPageSize;
        if (size < 1 || size > options.MaxPageSize)
        {
            errors.Add("limit", $"limit must be between 1 and {options.MaxPageSize}.");
        }

        string[]? parts = null;
        if (after is not null && (!Cursor.TryDecode(after, out parts) || parts.Length != partsInCursor))
        {
            errors.Add("after", "after is not a cursor this list returned.");
            parts = null;
        }

        return new PageRequest(size, parts);
    }
}

/// <summary>
/// Keyset cursors: the sort key of the last row, versioned and base64url-encoded so clients treat it as
/// opaque and we can change its contents without breaking links held by clients.
/// </summary>
public static class Cursor
{
    private const string Version = "v1";
    private const char Separator = '|';

    public static string Encode(params ReadOnlySpan<string> parts) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Version + Separator + string.Join(Separator, parts.ToArray())));

    public static string Encode(long value) => Encode(value.ToString(CultureInfo.InvariantCulture));

    public static bool TryDecode(string cursor, out string[] parts)
    {
        parts = [];
        if (cursor.Length is 0 or > 256)
        {
            return false;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var all = text.Split(Separator);
            if (all.Length < 2 || all[0] != Version)
            {
                return false;
            }

            parts = all[1..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A positive id from a one-part cursor this service handed out (<see cref="Encode(long)"/>); false for anything else.</summary>
    public static bool TryDecodeId(string? cursor, out long id)
    {
        id = 0;
        return cursor is not null && TryDecode(cursor, out var parts) && parts is [var part] && TryReadLong(part, out id) && id > 0;
    }

    public static bool TryReadLong(string part, out long value) =>
        long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryReadDouble(string part, out double value) =>
        double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
