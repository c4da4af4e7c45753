using System.Globalization;
using ScaleShop.Kubernetes.Tests.Infrastructure;
using ScaleShop.ServiceDefaults;
using ScaleShop.ServiceDefaults.Health;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>
/// Each ScaleShop process as its pod runs it: ports, probes and termination agree with what ServiceDefaults
/// maps and how GracefulShutdown drains (defaults from the options classes, overrides from the manifests).
/// </summary>
public sealed class ProcessTests
{
    public static TheoryData<string, string> Processes() => App.InOverlays(_ => true);

    [Theory]
    [MemberData(nameof(Processes))]
    public void It_listens_where_its_container_ports_say(string overlay, string workload)
    {
        var (_, container, environment) = Pod(overlay, workload);
        var listening = environment.GetValueOrDefault("ASPNETCORE_HTTP_PORTS")?.Value?.Split(';').Select(Overlay.Int).Order().ToList();
        Assert.True(listening is not null, $"{workload}: ASPNETCORE_HTTP_PORTS is not set: Kestrel's port would be the image's default.");
        Assert.Equal(listening, container.MapsAt("ports").Select(p => Overlay.Int(p.StringAt("containerPort")!)).Order().ToList());
    }

    [Theory]
    [MemberData(nameof(Processes))]
    public void Its_probes_are_the_health_endpoints_ServiceDefaults_maps_on_a_port_it_listens_on(string overlay, string workload)
    {
        var (_, container, _) = Pod(overlay, workload);
        foreach (var (probe, path) in new[] { ("startupProbe", HealthProbes.StartupPath), ("readinessProbe", HealthProbes.ReadyPath), ("livenessProbe", HealthProbes.LivePath) })
        {
            Assert.True(container.MapAt(probe) is not null, $"{workload}: no {probe}.");
            Assert.Equal(path, container.StringAt($"{probe}.httpGet.path"));
            Assert.True(Overlay.ContainerPort(container, container.StringAt($"{probe}.httpGet.port")!) is not null,
                $"{workload}: {probe} asks port {container.StringAt($"{probe}.httpGet.port")}, which the container does not expose.");
        }
    }

    [Theory]
    [MemberData(nameof(Processes))]
    public void Its_grace_period_covers_preStop_the_drain_and_requests_in_flight(string overlay, string workload)
    {
        var (pod, container, environment) = Pod(overlay, workload);
        var (drain, inFlight) = Shutdown(environment);
        var preStop = PreStop(container);
        var grace = Overlay.Seconds(pod.IntAt("terminationGracePeriodSeconds") ?? 30);
        // The host gives up at DrainDelay + InFlightTimeout (ServiceDefaults sets HostOptions.ShutdownTimeout so);
        // the kubelet must not SIGKILL before that, with a margin for the process to exit.
        var margin = TimeSpan.FromSeconds(1);
        Assert.True(grace >= preStop + drain + inFlight + margin,
            $"{workload}: terminationGracePeriodSeconds {grace.TotalSeconds} < preStop {preStop.TotalSeconds} + DrainDelay {drain.TotalSeconds} + InFlightTimeout {inFlight.TotalSeconds} + {margin.TotalSeconds}.");
    }

    /// <summary>
    /// A deleted pod leaves the Service's endpoints on deletion, whatever its probe says; the drain then only has
    /// to outlast the propagation. But a container restarted in place (a liveness failure) keeps its pod, and only
    /// the readiness probe takes it out of endpoints: it must fail (period x failureThreshold after SIGTERM at
    /// most) while the process still serves, i.e. within Shutdown:DrainDelay. Its timeout must exceed
    /// Health:CheckTimeout, so that a hung dependency is reported by the check's own status (a Degraded shard
    /// keeps the pod in rotation) and not by the probe timing out (which would take every pod out at once).
    /// </summary>
    [Theory]
    [MemberData(nameof(Processes))]
    public void Readiness_fails_within_the_drain_and_waits_longer_than_a_health_check(string overlay, string workload)
    {
        var (_, container, environment) = Pod(overlay, workload);
        var (drain, _) = Shutdown(environment);
        var period = Overlay.Seconds(container.IntAt("readinessProbe.periodSeconds") ?? 10);
        var failures = container.IntAt("readinessProbe.failureThreshold") ?? 3;
        Assert.True(period * failures <= drain, $"{workload}: readiness notices the drain after {(period * failures).TotalSeconds} s, past DrainDelay {drain.TotalSeconds} s.");

        var checkTimeout = Setting(environment, $"{HealthOptions.SectionName}__{nameof(HealthOptions.CheckTimeout)}", new HealthOptions().CheckTimeout);
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Assert.True(Overlay.Seconds(container.IntAt($"{probe}.timeoutSeconds") ?? 1) > checkTimeout,
                $"{workload}: {probe}.timeoutSeconds is not above Health:CheckTimeout {checkTimeout.TotalMilliseconds} ms.");
        }
    }

    [Theory]
    [MemberData(nameof(Processes))]
    public void Its_root_filesystem_is_read_only_with_writable_tmp_and_data_folders(string overlay, string workload)
    {
        var (pod, container, environment) = Pod(overlay, workload);
        Assert.Equal("true", container.StringAt("securityContext.readOnlyRootFilesystem"));
        var emptyDirs = pod.MapsAt("volumes").Where(v => v.ContainsKey("emptyDir")).Select(v => v.StringAt("name")).ToHashSet();
        var mounts = container.MapsAt("volumeMounts").ToList();
        Assert.Contains(mounts, m => m.StringAt("mountPath") == "/tmp" && emptyDirs.Contains(m.StringAt("name")));

        // Every DataDirectory setting the process binds points into a mounted volume (the image's /app is read-only).
        var app = App.ByWorkload(workload);
        var dataDirectories = app.Configuration?.Sections.SelectMany(s => s.Value
            .Where(t => t.GetProperty("DataDirectory") is not null)
            .Select(t => (Key: $"{s.Key}__DataDirectory", Default: (string)t.GetProperty("DataDirectory")!.GetValue(Activator.CreateInstance(t))!))) ?? [];
        foreach (var (key, fallback) in dataDirectories)
        {
            var directory = environment.GetValueOrDefault(key)?.Value ?? fallback;
            Assert.True(mounts.Any(m => directory.StartsWith(m.StringAt("mountPath")!, StringComparison.Ordinal)),
                $"{workload}: {key} = {directory} is not on a writable volume.");
        }
    }

    internal static (Dictionary<string, object?> Pod, Dictionary<string, object?> Container, Dictionary<string, EnvironmentEntry> Environment) Pod(string overlay, string workload)
    {
        var rendered = Overlay.Get(overlay);
        var deployment = rendered.Get("Deployment", workload);
        var container = Overlay.Container(deployment, App.ByWorkload(workload).Container);
        return (Kustomize.PodSpec(deployment)!, container, rendered.Environment(container));
    }

    internal static (TimeSpan DrainDelay, TimeSpan InFlightTimeout) Shutdown(Dictionary<string, EnvironmentEntry> environment)
    {
        var defaults = new ShutdownOptions();
        return (Setting(environment, $"{ShutdownOptions.SectionName}__{nameof(ShutdownOptions.DrainDelay)}", defaults.DrainDelay),
                Setting(environment, $"{ShutdownOptions.SectionName}__{nameof(ShutdownOptions.InFlightTimeout)}", defaults.InFlightTimeout));
    }

    /// <summary>How long a preStop hook holds SIGTERM back: none, a sleep action or an exec of sleep; anything else is unknown.</summary>
    internal static TimeSpan PreStop(Dictionary<string, object?> container)
    {
        if (container.MapAt("lifecycle.preStop") is not { } preStop)
        {
            return TimeSpan.Zero;
        }

        if (preStop.IntAt("sleep.seconds") is { } seconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var command = (preStop.At("exec.command") as List<object?>)?.Cast<string>().ToList();
        return command is [.., "sleep", var duration]
            ? TimeSpan.FromSeconds(double.Parse(duration, CultureInfo.InvariantCulture))
            : throw new InvalidOperationException("A preStop hook of unknown duration: the grace period cannot be checked.");
    }

    private static TimeSpan Setting(Dictionary<string, EnvironmentEntry> environment, string name, TimeSpan fallback) =>
        environment.GetValueOrDefault(name)?.Value is { } value ? TimeSpan.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
