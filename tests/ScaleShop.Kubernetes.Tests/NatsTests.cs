using System.Text.RegularExpressions;
using ScaleShop.Kubernetes.Tests.Infrastructure;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>NATS JetStream: its configuration file, its StatefulSet and its Services agree, on one server or three.</summary>
public sealed partial class NatsTests
{
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void A_cluster_routes_to_every_server_and_a_single_server_to_none(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var nats = rendered.Get("StatefulSet", "nats");
        var replicas = nats.IntAt("spec.replicas")!.Value;
        Assert.True(replicas % 2 == 1, "JetStream's quorum needs an odd number of servers.");
        var config = Config(rendered);
        var routes = Route().Matches(config).Select(m => m.Value).ToList();
        if (replicas == 1)
        {
            Assert.DoesNotContain("cluster {", config, StringComparison.Ordinal);
            return;
        }

        var service = nats.StringAt("spec.serviceName")!;
        Assert.Equal("None", rendered.Get("Service", service).StringAt("spec.clusterIP"));
        Assert.Equal(Enumerable.Range(0, replicas).Select(i => $"nats://nats-{i}.{service}:6222"), routes);
        Assert.Equal("Parallel", nats.StringAt("spec.podManagementPolicy"));
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void JetStream_stores_on_a_persistent_volume_and_probes_ask_for_JetStream(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var nats = rendered.Get("StatefulSet", "nats");
        var container = Overlay.Container(nats, "nats");
        var config = Config(rendered);
        var storeDir = StoreDir().Match(config).Groups[1].Value;
        var claims = nats.MapsAt("spec.volumeClaimTemplates").Select(t => t.StringAt("metadata.name")).ToHashSet();
        Assert.Contains(container.MapsAt("volumeMounts"), m => claims.Contains(m.StringAt("name")) && storeDir.StartsWith(m.StringAt("mountPath")!, StringComparison.Ordinal));

        var monitorPort = HttpPort().Match(config).Groups[1].Value;
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Assert.Equal("/healthz?js-enabled-only=true", container.StringAt($"{probe}.httpGet.path"));
            Assert.Equal(monitorPort, Overlay.ContainerPort(container, container.StringAt($"{probe}.httpGet.port")!)?.StringAt("containerPort"));
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Lame_duck_mode_fits_in_the_grace_period(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var nats = rendered.Get("StatefulSet", "nats");
        var config = Config(rendered);
        var lameDuck = Duration(config, "lame_duck_duration") + Duration(config, "lame_duck_grace_period");
        Assert.Contains("ldm=", string.Join(' ', (Overlay.Container(nats, "nats").At("lifecycle.preStop.exec.command") as List<object?>)!), StringComparison.Ordinal);
        Assert.True(Overlay.Seconds(Kustomize.PodSpec(nats)!.IntAt("terminationGracePeriodSeconds")) > lameDuck);
    }

    private static string Config(Overlay rendered) => rendered.Get("ConfigMap", "nats-config").MapAt("data")?.GetValueOrDefault("nats.conf") as string ?? throw new InvalidOperationException("no nats.conf");

    private static TimeSpan Duration(string config, string key) =>
        Regex.Match(config, $@"^\s*{key}:\s*(\d+)s\s*$", RegexOptions.Multiline, TimeSpan.FromSeconds(1)) is { Success: true } m
            ? TimeSpan.FromSeconds(Overlay.Int(m.Groups[1].Value)) : TimeSpan.Zero;

    [GeneratedRegex(@"nats://[a-z0-9.-]+:\d+")]
    private static partial Regex Route();

    [GeneratedRegex(@"store_dir:\s*(\S+)")]
    private static partial Regex StoreDir();

    [GeneratedRegex(@"http_port:\s*(\d+)")]
    private static partial Regex HttpPort();
}
