using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;

namespace ScaleShop.Kubernetes.Tests.Infrastructure;

/// <summary>
/// The configuration keys a process binds, read from its own code: every options class with a
/// <c>SectionName</c> constant in its assemblies, walked property by property (dictionaries take any key, lists
/// an index); the connection string names it asks <c>GetConnectionString</c> for; and the host's own settings
/// (<c>ASPNETCORE_</c> + <see cref="Microsoft.AspNetCore.Hosting.WebHostDefaults"/> / <see cref="Microsoft.Extensions.Hosting.HostDefaults"/> keys).
/// </summary>
internal sealed partial class ConfigurationModel
{
    private const string HostPrefix = "ASPNETCORE_";
    private const string ConnectionStringsSection = "ConnectionStrings";

    private readonly Dictionary<string, List<Type>> _sections = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _connectionStrings;
    private readonly HashSet<string> _hostKeys;

    public ConfigurationModel(IEnumerable<Assembly> assemblies, IEnumerable<string> connectionStrings)
    {
        foreach (var type in assemblies.Distinct().SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section)
            {
                if (!_sections.TryGetValue(section, out var types))
                {
                    _sections[section] = types = [];
                }

                types.Add(type);
            }
        }

        _connectionStrings = new HashSet<string>(connectionStrings, StringComparer.OrdinalIgnoreCase);
        _hostKeys = new[] { typeof(Microsoft.AspNetCore.Hosting.WebHostDefaults), typeof(Microsoft.Extensions.Hosting.HostDefaults) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => (f.IsLiteral || f.IsInitOnly) && f.FieldType == typeof(string))
            .Select(f => (string)f.GetValue(null)!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyDictionary<string, List<Type>> Sections => _sections;

    /// <summary>Why the environment variable <paramref name="name"/> is not a setting this process reads (null: it is one).</summary>
    public string? Problem(string name, string? value)
    {
        if (name.StartsWith(HostPrefix, StringComparison.Ordinal))
        {
            return _hostKeys.Contains(name[HostPrefix.Length..]) ? null : $"{name}: the host reads no {name[HostPrefix.Length..]} setting";
        }

        var segments = name.Split("__");
        if (segments[0].Equals(ConnectionStringsSection, StringComparison.OrdinalIgnoreCase))
        {
            return segments.Length == 2 && _connectionStrings.Contains(segments[1]) ? null
                : $"{name}: the process asks for no such connection string (it asks for {string.Join(", ", _connectionStrings)})";
        }

        // The longest section name that prefixes the key ("Resilience:Databases" before "Resilience").
        for (var length = segments.Length - 1; length >= 1; length--)
        {
            if (_sections.TryGetValue(string.Join(':', segments[..length]), out var types))
            {
                var problems = types.Select(t => Walk(t, segments[length..], value)).ToList();
                return problems.Any(p => p is null) ? null : $"{name}: {problems.First()}";
            }
        }

        return $"{name}: no options class binds a section named {segments[0]}";
    }

    private static string? Walk(Type type, string[] path, string? value)
    {
        var current = type;
        foreach (var segment in path)
        {
            if (Element(current, typeof(IDictionary<,>)) is { } dictionary)
            {
                current = dictionary.GetGenericArguments()[1];
                continue;
            }

            if (current != typeof(string) && Element(current, typeof(IEnumerable<>)) is { } sequence)
            {
                if (!int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    return $"{segment} is not an index of the list {current.Name}";
                }

                current = sequence.GetGenericArguments()[0];
                continue;
            }

            var property = current.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || IsLeaf(current))
            {
                return $"{current.Name} has no property {segment}";
            }

            current = property.PropertyType;
        }

        if (!IsLeaf(current))
        {
            return $"{current.Name} is a section, not a value";
        }

        // $(NAME) is filled in by the kubelet from another variable (a secret): not a value to parse here.
        if (value is null || value.Contains("$(", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(current) ?? current).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException || e.InnerException is FormatException)
        {
            return $"'{value}' is not a {current.Name}";
        }
    }

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);
    }

    private static Type? Element(Type type, Type generic) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == generic ? type
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);

    /// <summary>The names a project's code passes to GetConnectionString: literals, or constants of its assembly.</summary>
    public static IEnumerable<string> ConnectionStringNames(string sourceFolder, Assembly assembly)
    {
        var constants = assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .ToLookup(f => f.Name, f => (string)f.GetRawConstantValue()!, StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(sourceFolder, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            foreach (Match match in GetConnectionStringCall().Matches(File.ReadAllText(file)))
            {
                if (match.Groups["literal"].Success)
                {
                    yield return match.Groups["literal"].Value;
                }
                else
                {
                    foreach (var value in constants[match.Groups["constant"].Value])
                    {
                        yield return value;
                    }
                }
            }
        }
    }

    [GeneratedRegex("""GetConnectionString\(\s*(?:"(?<literal>[^"]+)"|(?:\w+\.)*(?<constant>\w+))\s*\)""")]
    private static partial Regex GetConnectionStringCall();
}
