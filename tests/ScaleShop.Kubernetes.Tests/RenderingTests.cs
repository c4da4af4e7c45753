using ScaleShop.Kubernetes.Tests.Infrastructure;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>The renderer the other tests stand on does what kustomize does with these overlays.</summary>
public sealed class RenderingTests
{
    [Theory]
    [InlineData(Overlay.Staging, "scaleshop-staging")]
    [InlineData(Overlay.Production, "scaleshop")]
    public void Every_namespaced_resource_lands_in_the_overlays_namespace(string overlay, string ns)
    {
        var rendered = Overlay.Get(overlay);
        Assert.Equal(ns, Assert.Single(rendered.OfKind("Namespace")).StringAt("metadata.name"));
        Assert.All(rendered.Resources.Where(r => r.StringAt("kind") != "Namespace"), r => Assert.Equal(ns, r.StringAt("metadata.namespace")));
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Images_of_our_processes_are_the_overlays_registry_and_tag(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var ours = rendered.Workloads.SelectMany(Kustomize.Containers)
            .Select(c => ImageReference.Parse(c.StringAt("image")!))
            .Where(i => i.Name.Contains("scaleshop/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, i => Assert.StartsWith("registry.example.com/scaleshop/", i.Name, StringComparison.Ordinal));
        Assert.All(ours, i => Assert.NotEqual("1.0.0", i.Tag));
    }

    [Fact]
    public void Patches_merge_containers_env_and_config_by_key_and_leave_the_rest()
    {
        var staging = Overlay.Get(Overlay.Staging);
        var production = Overlay.Get(Overlay.Production);

        // ConfigMap data: merged key by key.
        var config = staging.Get("ConfigMap", "storefront-config").MapAt("data")!;
        Assert.Equal("Staging", config["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("Postgres", config["Storage__Provider"]);
        Assert.Equal("https://api.payments.example.com/", production.Get("ConfigMap", "storefront-config").StringAt("data.Payments__BaseUrl"));

        // replicas, and a Service's type patched without losing its ports or selector.
        Assert.Equal(3, production.Get("StatefulSet", "nats").IntAt("spec.replicas"));
        Assert.Equal(1, staging.Get("StatefulSet", "nats").IntAt("spec.replicas"));
        var gateway = production.Get("Service", "gateway");
        Assert.Equal("LoadBalancer", gateway.StringAt("spec.type"));
        Assert.Single(gateway.MapsAt("spec.ports"));
        Assert.NotNull(gateway.MapAt("spec.selector"));

        // The stand-in exists in staging only.
        Assert.NotNull(staging.Find("Deployment", "payment-provider"));
        Assert.Null(production.Find("Deployment", "payment-provider"));
    }

    [Fact]
    public void A_strategic_merge_patch_merges_named_lists_and_replaces_others()
    {
        var target = Parse("""
            spec:
              containers:
                - name: a
                  image: x:1
                  env: [{ name: A, value: "1" }, { name: B, value: "2" }]
                  args: ["--one"]
            """);
        var patch = Parse("""
            spec:
              containers:
                - name: a
                  env: [{ name: B, value: "3" }, { name: C, value: "4" }]
                  args: ["--two"]
                - name: b
                  image: y:2
            """);
        Kustomize.MergeInto(target, patch);
        var containers = target.MapsAt("spec.containers").ToList();
        Assert.Equal(["a", "b"], containers.Select(c => c.StringAt("name")));
        Assert.Equal("x:1", containers[0].StringAt("image"));
        Assert.Equal(["A=1", "B=3", "C=4"], containers[0].MapsAt("env").Select(e => $"{e.StringAt("name")}={e.StringAt("value")}"));
        Assert.Equal(["--two"], ((List<object?>)containers[0]["args"]!).Cast<string>());
    }

    [Theory]
    [InlineData("nats:2.10.24-alpine", "nats", "2.10.24-alpine", null)]
    [InlineData("registry:5000/scaleshop/storefront", "registry:5000/scaleshop/storefront", null, null)]
    [InlineData("ghcr.io/a/b:1.2@sha256:abc", "ghcr.io/a/b", "1.2", "sha256:abc")]
    public void Image_references_split_into_name_tag_and_digest(string image, string name, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(image);
        Assert.Equal((name, tag, digest), (reference.Name, reference.Tag, reference.Digest));
        Assert.Equal(image, reference.ToString());
    }

    private static Dictionary<string, object?> Parse(string yaml)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(yaml));
        return (Dictionary<string, object?>)Yaml.Convert(stream.Documents[0].RootNode)!;
    }
}
