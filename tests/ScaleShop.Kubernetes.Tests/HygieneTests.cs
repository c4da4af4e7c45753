using System.Text.RegularExpressions;
using ScaleShop.Kubernetes.Tests.Infrastructure;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>Services reach pods that exist; images are pinned; secrets stay secret; every container is bounded and unprivileged.</summary>
public sealed partial class HygieneTests
{
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_service_selects_pods_and_targets_a_port_they_expose(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        foreach (var service in rendered.OfKind("Service").Where(s => s.StringAt("spec.type") != "ExternalName"))
        {
            var selector = service.MapAt("spec.selector").Labels();
            var workloads = rendered.Workloads.Where(w => Overlay.Selects(selector, Overlay.PodLabels(w))).ToList();
            Assert.True(workloads.Count > 0, $"{overlay}: {Overlay.NameOf(service)} selects no pods.");
            foreach (var port in service.MapsAt("spec.ports"))
            {
                var target = port.StringAt("targetPort") ?? port.StringAt("port")!;
                Assert.All(workloads, w => Assert.True(Kustomize.Containers(w).Any(c => Overlay.ContainerPort(c, target) is not null),
                    $"{overlay}: {Overlay.NameOf(service)} port {port.StringAt("name")} targets {target}, which {Overlay.NameOf(w)} does not expose."));
            }
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_workload_selects_its_own_pods(string overlay)
    {
        Assert.All(Overlay.Get(overlay).Workloads, w =>
            Assert.True(Overlay.Selects(w.MapAt("spec.selector.matchLabels").Labels(), Overlay.PodLabels(w)), $"{Overlay.NameOf(w)}: selector does not match its template."));
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_image_is_pinned_to_a_version(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var images = rendered.Workloads.SelectMany(Kustomize.Containers).Select(c => c.StringAt("image")!)
            .Concat(rendered.OfKind("Cluster").Select(c => c.StringAt("spec.imageName")!))
            .ToList();
        Assert.NotEmpty(images);
        foreach (var image in images)
        {
            var reference = ImageReference.Parse(image);
            Assert.True(reference.Digest is not null || reference.Tag is { Length: > 0 } and not "latest", $"{overlay}: {image} is not pinned (no tag or digest, or :latest).");
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void No_secret_is_written_in_the_manifests(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        // Secrets are created out of band (kubectl create secret, an external secrets operator) or by the
        // CloudNativePG operator; a Secret with data here would be a password in git.
        Assert.DoesNotContain(rendered.OfKind("Secret"), s => s.ContainsKey("data") || s.ContainsKey("stringData"));

        var literals = rendered.Workloads.SelectMany(Kustomize.Containers).SelectMany(c => rendered.Environment(c).Values).Where(e => e.Value is not null);
        foreach (var entry in literals)
        {
            Assert.False(SecretName().IsMatch(entry.Name.Split("__")[^1]) || entry.Name.Split("__").Any(s => SecretSection().IsMatch(s)),
                $"{overlay}: {entry.Name} is a secret given as a literal ({entry.Source}); use a secretKeyRef.");
            foreach (Match password in PasswordInConnectionString().Matches(entry.Value!))
            {
                Assert.Matches(@"^\$\([A-Za-z_][A-Za-z0-9_]*\)$", password.Groups[1].Value);
            }
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_container_has_requests_and_limits(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var bounded = rendered.Workloads.SelectMany(w => Kustomize.Containers(w).Select(c => (Name: $"{Overlay.NameOf(w)}/{c.StringAt("name")}", Resources: c.MapAt("resources"))))
            .Concat(rendered.OfKind("Cluster").Select(c => (Name: Overlay.NameOf(c), Resources: c.MapAt("spec.resources"))));
        foreach (var (name, resources) in bounded)
        {
            foreach (var path in new[] { "requests.cpu", "requests.memory", "limits.cpu", "limits.memory" })
            {
                Assert.True(resources?.StringAt(path) is { Length: > 0 }, $"{overlay}: {name} has no resources.{path}.");
            }
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_pod_runs_unprivileged(string overlay)
    {
        foreach (var workload in Overlay.Get(overlay).Workloads)
        {
            var pod = Kustomize.PodSpec(workload)!;
            Assert.Equal("true", pod.StringAt("securityContext.runAsNonRoot"));
            Assert.Equal("RuntimeDefault", pod.StringAt("securityContext.seccompProfile.type"));
            foreach (var container in Kustomize.Containers(workload))
            {
                var name = $"{Overlay.NameOf(workload)}/{container.StringAt("name")}";
                Assert.True(container.StringAt("securityContext.allowPrivilegeEscalation") == "false", $"{name}: privilege escalation allowed.");
                Assert.True(container.StringAt("securityContext.readOnlyRootFilesystem") == "true", $"{name}: writable root filesystem.");
                Assert.Equal(["ALL"], (container.At("securityContext.capabilities.drop") as List<object?>)?.Cast<string>() ?? []);
            }
        }
    }

    [GeneratedRegex("(?i)(password|secret|signingkey|adminkey|apikey|token)$")]
    private static partial Regex SecretName();

    [GeneratedRegex("(?i)^(webhooksecrets|secrets)$")]
    private static partial Regex SecretSection();

    [GeneratedRegex("(?i)password=([^;]*)")]
    private static partial Regex PasswordInConnectionString();
}
