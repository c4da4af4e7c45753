namespace ScaleShop.Storefront.Common;

/// <summary>
/// Field-keyed validation messages, collected by domain code and rendered by the endpoint as RFC 7807
/// validation problem details. Field names are the JSON names the client sent (<c>items[2].quantity</c>).
/// </summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public ValidationErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public static ValidationErrors For(string field, string message) => new ValidationErrors().Add(field, message);

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
}
