namespace ScaleShop.Kubernetes.Tests.Infrastructure;

/// <summary>
/// The part of kustomize deploy/k8s uses, so the tests see what <c>kubectl apply -k</c> would apply: resources
/// (files and kustomization folders), strategic-merge patches (by kind and name; lists of containers, env,
/// volumes and ports merged by their keys), images (newName, newTag, digest), replicas and namespace. A
/// kustomization using anything else fails to render here instead of being checked half-applied.
/// </summary>
internal static class Kustomize
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "apiVersion", "kind", "namespace", "resources", "patches", "images", "replicas",
    };

    /// <summary>Kinds that have no namespace (the namespace transformer leaves them alone).</summary>
    private static readonly HashSet<string> ClusterScoped = new(StringComparer.Ordinal)
    {
        "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass", "PriorityClass",
        "IngressClass", "PersistentVolume", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    };

    /// <summary>List fields merged item by item (strategic merge), with their merge key.</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["imagePullSecrets"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeClaimTemplates"] = "metadata.name",
    };

    public static List<Dictionary<string, object?>> Render(string directory)
    {
        var kustomization = Yaml.LoadSingle(Path.Combine(directory, "kustomization.yaml"));
        var unsupported = kustomization.Keys.Where(k => !Supported.Contains(k)).ToList();
        if (unsupported.Count > 0)
        {
            throw new NotSupportedException($"{directory}/kustomization.yaml uses {string.Join(", ", unsupported)}, which the tests' renderer does not implement.");
        }

        var resources = new List<Dictionary<string, object?>>();
        foreach (var entry in Strings(kustomization.At("resources")))
        {
            var path = Path.GetFullPath(Path.Combine(directory, entry));
            resources.AddRange(Directory.Exists(path) ? Render(path) : Yaml.LoadDocuments(path));
        }

        foreach (var patch in (kustomization.At("patches") as List<object?> ?? []).Cast<Dictionary<string, object?>>())
        {
            if (patch.ContainsKey("target") || patch.ContainsKey("patch") || patch.StringAt("path") is not { } file)
            {
                throw new NotSupportedException($"{directory}: only file patches without a target (strategic merge by kind and name) are implemented.");
            }

            foreach (var document in Yaml.LoadDocuments(Path.Combine(directory, file)))
            {
                var kind = document.StringAt("kind");
                var name = document.StringAt("metadata.name");
                var targets = resources.Where(r => r.StringAt("kind") == kind && r.StringAt("metadata.name") == name).ToList();
                if (targets.Count != 1)
                {
                    throw new InvalidDataException($"{directory}/{file}: {kind}/{name} matches {targets.Count} resources, not one.");
                }

                MergeInto(targets[0], document);
            }
        }

        foreach (var image in (kustomization.At("images") as List<object?> ?? []).Cast<Dictionary<string, object?>>())
        {
            foreach (var container in resources.SelectMany(Containers))
            {
                var reference = ImageReference.Parse(container.StringAt("image") ?? "");
                if (reference.Name == image.StringAt("name"))
                {
                    container["image"] = (reference with
                    {
                        Name = image.StringAt("newName") ?? reference.Name,
                        Tag = image.StringAt("digest") is null ? image.StringAt("newTag") ?? reference.Tag : null,
                        Digest = image.StringAt("digest") ?? reference.Digest,
                    }).ToString();
                }
            }
        }

        foreach (var replicas in (kustomization.At("replicas") as List<object?> ?? []).Cast<Dictionary<string, object?>>())
        {
            var targets = resources.Where(r => r.StringAt("kind") is "Deployment" or "StatefulSet" or "ReplicaSet"
                && r.StringAt("metadata.name") == replicas.StringAt("name")).ToList();
            if (targets.Count == 0)
            {
                throw new InvalidDataException($"{directory}: replicas for {replicas.StringAt("name")}, which is not a workload here.");
            }

            foreach (var target in targets)
            {
                ((Dictionary<string, object?>)target["spec"]!)["replicas"] = replicas.StringAt("count");
            }
        }

        if (kustomization.StringAt("namespace") is { } ns)
        {
            foreach (var resource in resources)
            {
                var metadata = (Dictionary<string, object?>)resource["metadata"]!;
                if (resource.StringAt("kind") == "Namespace")
                {
                    metadata["name"] = ns;
                }
                else if (!ClusterScoped.Contains(resource.StringAt("kind") ?? ""))
                {
                    metadata["namespace"] = ns;
                }
            }
        }

        return resources;
    }

    /// <summary>Every container (and init container) of a workload's pod template.</summary>
    public static IEnumerable<Dictionary<string, object?>> Containers(Dictionary<string, object?> resource) =>
        PodSpec(resource) is { } pod ? pod.MapsAt("containers").Concat(pod.MapsAt("initContainers")) : [];

    public static Dictionary<string, object?>? PodSpec(Dictionary<string, object?> resource) => resource.StringAt("kind") switch
    {
        "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" => resource.MapAt("spec.template.spec"),
        "CronJob" => resource.MapAt("spec.jobTemplate.spec.template.spec"),
        "Pod" => resource.MapAt("spec"),
        _ => null,
    };

    /// <summary>Strategic merge: maps merge key by key (null deletes), keyed lists item by item, anything else is replaced.</summary>
    public static void MergeInto(Dictionary<string, object?> target, Dictionary<string, object?> patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (target.TryGetValue(key, out var existing) && existing is Dictionary<string, object?> existingMap && value is Dictionary<string, object?> patchMap)
            {
                MergeInto(existingMap, patchMap);
            }
            else if (existing is List<object?> existingList && value is List<object?> patchList && MergeKey(key, patchList) is { } mergeKey)
            {
                foreach (var item in patchList.Cast<Dictionary<string, object?>>())
                {
                    var match = existingList.OfType<Dictionary<string, object?>>().FirstOrDefault(e => e.StringAt(mergeKey) == item.StringAt(mergeKey));
                    if (match is null)
                    {
                        existingList.Add(Yaml.DeepClone(item));
                    }
                    else
                    {
                        MergeInto(match, item);
                    }
                }
            }
            else
            {
                target[key] = Yaml.DeepClone(value);
            }
        }
    }

    // ports: containers' by containerPort, Services' by port (their patch strategies in the API).
    private static string? MergeKey(string field, List<object?> items) => field == "ports"
        ? items.OfType<Dictionary<string, object?>>().All(i => i.ContainsKey("containerPort")) ? "containerPort" : "port"
        : MergeKeys.GetValueOrDefault(field);

    private static IEnumerable<string> Strings(object? list) => (list as List<object?> ?? []).Select(i => i as string ?? throw new InvalidDataException("Expected a string."));
}

/// <summary>registry/name:tag@digest.</summary>
internal sealed record ImageReference(string Name, string? Tag, string? Digest)
{
    public static ImageReference Parse(string image)
    {
        string? digest = null;
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            image = image[..at];
        }

        // A colon after the last slash separates the tag (one before it is a registry's port).
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? new ImageReference(image[..colon], image[(colon + 1)..], digest) : new ImageReference(image, null, digest);
    }

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

}
