using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ScaleShop.Kubernetes.Tests.Infrastructure;

/// <summary>
/// YAML as plain trees: a mapping is a <see cref="Dictionary{TKey,TValue}"/> (string keys, in file order), a
/// sequence a <see cref="List{T}"/>, a scalar a string, and a null (<c>~</c>, <c>null</c>, nothing) null. Plain
/// trees are what a strategic merge patch and a deep comparison need; numbers stay strings until asked for.
/// </summary>
internal static class Yaml
{
    /// <summary>Every document of a (multi-document) file; empty documents are skipped.</summary>
    public static List<Dictionary<string, object?>> LoadDocuments(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var documents = new List<Dictionary<string, object?>>();
        foreach (var document in stream.Documents)
        {
            switch (Convert(document.RootNode))
            {
                case Dictionary<string, object?> map:
                    documents.Add(map);
                    break;
                case null:
                    break;
                default:
                    throw new InvalidDataException($"{path}: a document is not a mapping.");
            }
        }

        return documents;
    }

    public static Dictionary<string, object?> LoadSingle(string path) =>
        LoadDocuments(path) is [var only] ? only : throw new InvalidDataException($"{path}: expected exactly one document.");

    public static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL" ? null : scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
        YamlMappingNode mapping => mapping.Children.ToDictionary(
            pair => ((YamlScalarNode)pair.Key).Value ?? throw new InvalidDataException("A mapping key is null."),
            pair => Convert(pair.Value),
            StringComparer.Ordinal),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType}."),
    };

    public static object? DeepClone(object? value) => value switch
    {
        Dictionary<string, object?> map => map.ToDictionary(p => p.Key, p => DeepClone(p.Value), StringComparer.Ordinal),
        List<object?> list => list.Select(DeepClone).ToList(),
        _ => value,
    };

    public static bool DeepEquals(object? a, object? b) => (a, b) switch
    {
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var other) && DeepEquals(p.Value, other)),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => DeepEquals(p.First, p.Second)),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (null, null) => true,
        _ => false,
    };
}

/// <summary>Reading plain YAML trees by dotted paths (<c>spec.template.spec</c>).</summary>
internal static class Tree
{
    public static object? At(this Dictionary<string, object?> map, string path)
    {
        object? current = map;
        foreach (var key in path.Split('.'))
        {
            if (current is not Dictionary<string, object?> m || !m.TryGetValue(key, out current))
            {
                return null;
            }
        }

        return current;
    }

    public static Dictionary<string, object?>? MapAt(this Dictionary<string, object?> map, string path) => map.At(path) as Dictionary<string, object?>;

    public static IEnumerable<Dictionary<string, object?>> MapsAt(this Dictionary<string, object?> map, string path) =>
        (map.At(path) as List<object?>)?.OfType<Dictionary<string, object?>>() ?? [];

    public static string? StringAt(this Dictionary<string, object?> map, string path) => map.At(path) as string;

    public static int? IntAt(this Dictionary<string, object?> map, string path) =>
        map.At(path) is string s ? int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    public static Dictionary<string, string> Labels(this Dictionary<string, object?>? map) =>
        map?.ToDictionary(p => p.Key, p => p.Value as string ?? "", StringComparer.Ordinal) ?? new(StringComparer.Ordinal);
}
