using System.Text.RegularExpressions;

namespace ScaleShop.Gateway.Destinations;

/// <summary>What a destination must be, whether it comes from configuration or from the admin API.</summary>
public static partial class DestinationRules
{
    public const int MinWeight = 0;
    public const int MaxWeight = 10_000;
    public const int MaxVersionLength = 64;

    /// <summary>Field name → messages; empty when the destination is valid.</summary>
    public static Dictionary<string, string[]> Validate(string id, string? address, string? version, int? weight)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IdPattern().IsMatch(id))
        {
            errors["id"] = ["id is 1 to 64 characters of a-z, 0-9 and '-'."];
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            errors["address"] = ["address must be an absolute http or https URL, e.g. http://127.0.0.1:8101/."];
        }

        if (string.IsNullOrWhiteSpace(version) || version.Length > MaxVersionLength)
        {
            errors["version"] = [$"version is required, 1 to {MaxVersionLength} characters."];
        }

        if (weight is not (>= MinWeight and <= MaxWeight))
        {
            errors["weight"] = [$"weight is required, between {MinWeight} and {MaxWeight}."];
        }

        return errors;
    }

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex IdPattern();
}
