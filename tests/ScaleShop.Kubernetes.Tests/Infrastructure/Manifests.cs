using System.Globalization;

namespace ScaleShop.Kubernetes.Tests.Infrastructure;

/// <summary>The repository's folders, found upwards from the test's build output.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "ScaleShop.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ScaleShop.slnx above {AppContext.BaseDirectory}.");
    }
}

/// <summary>One overlay of deploy/k8s, rendered, with the lookups the tests need.</summary>
internal sealed class Overlay
{
    public const string Staging = "staging";
    public const string Production = "production";

    private static readonly Dictionary<string, Lazy<Overlay>> Rendered = new(StringComparer.Ordinal)
    {
        [Staging] = new(() => new Overlay(Staging)),
        [Production] = new(() => new Overlay(Production)),
    };

    private Overlay(string name)
    {
        Name = name;
        Resources = Kustomize.Render(Repository.File("deploy", "k8s", "overlays", name));
    }

    public static Overlay Get(string name) => Rendered[name].Value;

    public string Name { get; }

    public IReadOnlyList<Dictionary<string, object?>> Resources { get; }

    public IEnumerable<Dictionary<string, object?>> OfKind(string kind) => Resources.Where(r => r.StringAt("kind") == kind);

    public Dictionary<string, object?>? Find(string kind, string name) =>
        OfKind(kind).SingleOrDefault(r => r.StringAt("metadata.name") == name);

    public Dictionary<string, object?> Get(string kind, string name) =>
        Find(kind, name) ?? throw new InvalidOperationException($"{Name}: no {kind}/{name}.");

    /// <summary>Deployments and StatefulSets: what runs pods.</summary>
    public IEnumerable<Dictionary<string, object?>> Workloads => Resources.Where(r => r.StringAt("kind") is "Deployment" or "StatefulSet");

    public static string NameOf(Dictionary<string, object?> resource) => $"{resource.StringAt("kind")}/{resource.StringAt("metadata.name")}";

    public static Dictionary<string, string> PodLabels(Dictionary<string, object?> workload) => workload.MapAt("spec.template.metadata.labels").Labels();

    public static bool Selects(Dictionary<string, string> selector, Dictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(p => labels.TryGetValue(p.Key, out var value) && value == p.Value);

    public static Dictionary<string, object?> Container(Dictionary<string, object?> workload, string name) =>
        Kustomize.Containers(workload).Single(c => c.StringAt("name") == name);

    /// <summary>
    /// The environment a container's process sees, as far as the manifests say: ConfigMaps of envFrom first,
    /// then env (which wins). Values of secretKeyRef and fieldRef entries are null: they are not in the manifests.
    /// </summary>
    public Dictionary<string, EnvironmentEntry> Environment(Dictionary<string, object?> container)
    {
        var environment = new Dictionary<string, EnvironmentEntry>(StringComparer.Ordinal);
        foreach (var source in container.MapsAt("envFrom"))
        {
            if (source.StringAt("configMapRef.name") is { } configMap)
            {
                foreach (var (key, value) in Get("ConfigMap", configMap).MapAt("data") ?? [])
                {
                    environment[key] = new EnvironmentEntry(key, value as string ?? "", null, $"ConfigMap/{configMap}");
                }
            }
            else
            {
                throw new NotSupportedException("envFrom other than a ConfigMap is not used here.");
            }
        }

        foreach (var entry in container.MapsAt("env"))
        {
            var name = entry.StringAt("name")!;
            environment[name] = entry.MapAt("valueFrom") is { } from
                ? new EnvironmentEntry(name, null, from, "env")
                : new EnvironmentEntry(name, entry.StringAt("value") ?? "", null, "env");
        }

        return environment;
    }

    /// <summary>The container port a probe or Service names, by name or number.</summary>
    public static Dictionary<string, object?>? ContainerPort(Dictionary<string, object?> container, string port) =>
        container.MapsAt("ports").FirstOrDefault(p => p.StringAt("name") == port || p.StringAt("containerPort") == port);

    public static TimeSpan Seconds(int? seconds) => TimeSpan.FromSeconds(seconds ?? 0);

    public static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}

/// <summary>One environment variable: a literal value, or a reference (valueFrom) the cluster resolves.</summary>
internal sealed record EnvironmentEntry(string Name, string? Value, Dictionary<string, object?>? ValueFrom, string Source)
{
    public string? SecretName => ValueFrom?.StringAt("secretKeyRef.name");

    public string? SecretKey => ValueFrom?.StringAt("secretKeyRef.key");

    /// <summary>The configuration key ASP.NET Core makes of the variable ("__" for ":").</summary>
    public string ConfigurationKey => Name.Replace("__", ":", StringComparison.Ordinal);
}
