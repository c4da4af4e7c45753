using ScaleShop.Kubernetes.Tests.Infrastructure;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>
/// Zero downtime from three parts: rollouts that add before they remove (maxUnavailable 0), evictions one pod
/// at a time (PodDisruptionBudgets), and an autoscaler that owns the storefront's count.
/// </summary>
public sealed class ScalingTests
{
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Rollouts_of_the_serving_tier_never_go_below_the_current_capacity(string overlay)
    {
        foreach (var name in new[] { App.Storefront.Workload, App.Gateway.Workload })
        {
            var deployment = Overlay.Get(overlay).Get("Deployment", name);
            Assert.Equal("RollingUpdate", deployment.StringAt("spec.strategy.type"));
            Assert.Equal("0", deployment.StringAt("spec.strategy.rollingUpdate.maxUnavailable"));
            var surge = deployment.StringAt("spec.strategy.rollingUpdate.maxSurge");
            Assert.True(surge is "25%" || (int.TryParse(surge, out var pods) && pods >= 1), $"{name}: maxSurge {surge} adds no pod, so a rollout with maxUnavailable 0 could never progress.");
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void The_autoscaler_owns_the_storefronts_count_within_sane_bounds(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var hpa = Assert.Single(rendered.OfKind("HorizontalPodAutoscaler"));
        Assert.Equal("autoscaling/v2", hpa.StringAt("apiVersion"));
        Assert.Equal(("Deployment", App.Storefront.Workload), (hpa.StringAt("spec.scaleTargetRef.kind"), hpa.StringAt("spec.scaleTargetRef.name")));
        var deployment = rendered.Get("Deployment", App.Storefront.Workload);
        // A replicas field would be re-applied over the autoscaler's count by every kubectl apply.
        Assert.Null(deployment.At("spec.replicas"));

        var min = hpa.IntAt("spec.minReplicas")!.Value;
        var max = hpa.IntAt("spec.maxReplicas")!.Value;
        Assert.InRange(min, 2, max);

        var cpu = Assert.Single(hpa.MapsAt("spec.metrics"));
        Assert.Equal(("cpu", "Utilization"), (cpu.StringAt("resource.name"), cpu.StringAt("resource.target.type")));
        var target = cpu.IntAt("resource.target.averageUtilization")!.Value;
        Assert.InRange(target, 1, 99);
        // Utilisation is a share of the request: every container of the pod must request CPU.
        Assert.All(Kustomize.Containers(deployment), c => Assert.NotNull(c.StringAt("resources.requests.cpu")));

        // desired = ceil(current x observed / target): a minimum fleet busy to its requests asks for more pods, and
        // one at the target asks for none.
        Assert.True(Desired(min, 100, target) > min);
        Assert.Equal(min, Desired(min, target, target));
        Assert.Equal(6, Desired(4, 90, 60)); // the example in storefront.yaml

        var scaleDown = hpa.MapAt("spec.behavior.scaleDown")!;
        var scaleUp = hpa.MapAt("spec.behavior.scaleUp")!;
        Assert.True(scaleDown.IntAt("stabilizationWindowSeconds") >= 60, "scale-down must look back at least a minute, or every dip removes pods.");
        Assert.True(scaleUp.IntAt("stabilizationWindowSeconds") < scaleDown.IntAt("stabilizationWindowSeconds"));
        Assert.NotEmpty(scaleDown.MapsAt("policies"));
        Assert.All(scaleDown.MapsAt("policies").Concat(scaleUp.MapsAt("policies")), p => Assert.True(p.IntAt("value") > 0 && p.IntAt("periodSeconds") > 0));
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Disruption_budgets_cover_the_serving_tier_and_leave_one_pod_serving(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var budgets = rendered.OfKind("PodDisruptionBudget").ToList();
        foreach (var name in new[] { App.Storefront.Workload, App.Gateway.Workload, App.Recommendations.Workload })
        {
            var workload = rendered.Get("Deployment", name);
            var covering = budgets.Where(b => Overlay.Selects(b.MapAt("spec.selector.matchLabels").Labels(), Overlay.PodLabels(workload))).ToList();
            var budget = Assert.Single(covering);
            Assert.Equal("AlwaysAllow", budget.StringAt("spec.unhealthyPodEvictionPolicy"));
            var maxUnavailable = budget.IntAt("spec.maxUnavailable");
            Assert.True(maxUnavailable is 1, $"{name}: evictions should take one pod at a time.");
        }

        // With maxUnavailable 1, the storefront's minimum fleet keeps at least one pod through a drain.
        Assert.True(rendered.OfKind("HorizontalPodAutoscaler").Single().IntAt("spec.minReplicas") - 1 >= 1);
        Assert.True(rendered.Get("Deployment", App.Gateway.Workload).IntAt("spec.replicas") - 1 >= 1);
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Every_budget_selects_pods_that_exist(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        foreach (var budget in rendered.OfKind("PodDisruptionBudget"))
        {
            var selector = budget.MapAt("spec.selector.matchLabels").Labels();
            Assert.True(rendered.Workloads.Any(w => Overlay.Selects(selector, Overlay.PodLabels(w))), $"{Overlay.NameOf(budget)} selects no pods.");
        }
    }

    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void The_serving_tier_spreads_over_nodes(string overlay)
    {
        foreach (var name in new[] { App.Storefront.Workload, App.Gateway.Workload })
        {
            var deployment = Overlay.Get(overlay).Get("Deployment", name);
            var byNode = Assert.Single(Kustomize.PodSpec(deployment)!.MapsAt("topologySpreadConstraints"), c => c.StringAt("topologyKey") == "kubernetes.io/hostname");
            Assert.Equal("DoNotSchedule", byNode.StringAt("whenUnsatisfiable"));
            Assert.True(Overlay.Selects(byNode.MapAt("labelSelector.matchLabels").Labels(), Overlay.PodLabels(deployment)), $"{name}: the spread constraint counts other pods.");
        }
    }

    /// <summary>The HorizontalPodAutoscaler's rule (its 10% tolerance aside).</summary>
    private static int Desired(int current, int observedPercent, int targetPercent) =>
        (int)Math.Ceiling(current * (double)observedPercent / targetPercent);
}
