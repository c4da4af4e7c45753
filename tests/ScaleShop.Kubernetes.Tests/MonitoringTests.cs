using ScaleShop.Kubernetes.Tests.Infrastructure;
using ScaleShop.ServiceDefaults;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>Prometheus scrapes every process at the endpoint ServiceDefaults maps, and has the SLO rules.</summary>
public sealed class MonitoringTests
{
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_process_is_scraped_at_its_metrics_endpoint(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var monitor = Assert.Single(rendered.OfKind("ServiceMonitor"));
        var endpoints = monitor.MapsAt("spec.endpoints").ToList();
        Assert.All(endpoints, e => Assert.Equal(ServiceDefaultsExtensions.MetricsPath, e.StringAt("path")));
        var selector = monitor.MapAt("spec.selector.matchLabels").Labels();
        var scrapedPorts = endpoints.Select(e => e.StringAt("port")).ToHashSet();

        foreach (var app in App.All.Where(a => rendered.Find("Deployment", a.Workload) is not null))
        {
            var pods = Overlay.PodLabels(rendered.Get("Deployment", app.Workload));
            var scraped = rendered.OfKind("Service")
                .Where(s => Overlay.Selects(selector, s.MapAt("metadata.labels").Labels()) && Overlay.Selects(s.MapAt("spec.selector").Labels(), pods))
                .SelectMany(s => s.MapsAt("spec.ports"))
                .Where(p => scrapedPorts.Contains(p.StringAt("name")));
            Assert.True(scraped.Count() == 1, $"{overlay}: {app.Workload} is scraped through {scraped.Count()} Service ports, not one.");
        }
    }

    [Fact]
    public void The_PrometheusRule_holds_exactly_the_rules_of_deploy_prometheus()
    {
        var rule = Yaml.LoadSingle(Repository.File("deploy", "k8s", "base", "slo-rules.yaml"));
        var file = Yaml.LoadSingle(Repository.File("deploy", "prometheus", "slo-rules.yml"));
        Assert.Equal("PrometheusRule", rule.StringAt("kind"));
        Assert.True(Yaml.DeepEquals(file["groups"], rule.At("spec.groups")),
            "deploy/k8s/base/slo-rules.yaml differs from deploy/prometheus/slo-rules.yml: copy the file's groups under spec: (indented two spaces).");
        Assert.Contains(Overlay.Get(Overlay.Production).OfKind("PrometheusRule"), r => r.StringAt("metadata.name") == rule.StringAt("metadata.name"));
    }
}
