using System.Text.Json;
using System.Text.RegularExpressions;
using ScaleShop.Kubernetes.Tests.Infrastructure;
using ScaleShop.Storefront.Anomalies;
using ScaleShop.Storefront.Orders.Payments;
using ScaleShop.Storefront.Recommendations;

namespace ScaleShop.Kubernetes.Tests;

/// <summary>Every setting the manifests give a process is one it reads, with a value it accepts.</summary>
public sealed partial class ConfigurationTests
{
    public static TheoryData<string, string> ProcessesWithKnownSettings() => App.InOverlays(a => a.Configuration is not null);

    [Theory]
    [MemberData(nameof(ProcessesWithKnownSettings))]
    public void Every_variable_is_a_configuration_key_the_process_binds(string overlay, string workload)
    {
        var (_, _, environment) = ProcessTests.Pod(overlay, workload);
        var configuration = App.ByWorkload(workload).Configuration!;
        // Variables only other variables use, through $(NAME) (the kubelet expands them), are not settings: they
        // must come from a secret and be used.
        var referenced = environment.Values.Where(e => e.Value is not null)
            .SelectMany(e => Reference().Matches(e.Value!).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var problems = environment.Values
            .Where(e => !(referenced.Contains(e.Name) && e.SecretName is not null))
            .Select(e => configuration.Problem(e.Name, e.Value))
            .OfType<string>()
            .ToList();
        Assert.True(problems.Count == 0, $"{overlay} {workload}:\n" + string.Join('\n', problems));
        Assert.All(referenced, name => Assert.True(environment.ContainsKey(name), $"{workload}: $({name}) is used but not defined."));
    }

    [Fact]
    public void The_key_check_rejects_what_the_storefront_does_not_read()
    {
        var configuration = App.Storefront.Configuration!;
        Assert.Null(configuration.Problem("Shutdown__DrainDelay", "00:00:10"));
        Assert.Null(configuration.Problem("Storage__Postgres__Shards__shard7__Replicas__3", "Host=x"));
        Assert.Null(configuration.Problem("Resilience__Databases__OpenTimeout", "00:00:05"));
        Assert.Null(configuration.Problem("ConnectionStrings__nats", "nats://nats:4222"));
        Assert.Null(configuration.Problem("ASPNETCORE_HTTP_PORTS", "8080"));
        Assert.NotNull(configuration.Problem("Shutdown__DrainDelays", "00:00:10"));
        Assert.NotNull(configuration.Problem("Shutdown__DrainDelay", "ten seconds"));
        Assert.NotNull(configuration.Problem("Storage__Postgres__Catalog", "Host=x"));
        Assert.NotNull(configuration.Problem("Storage__Postgres__Catalog__Replicas__first", "Host=x"));
        Assert.NotNull(configuration.Problem("ConnectionStrings__postgres", "Host=x"));
        Assert.NotNull(configuration.Problem("Payment__BaseUrl", "http://x/"));
        Assert.NotNull(configuration.Problem("ASPNETCORE_HTTPS_PORT_NUMBER", "443"));
    }

    /// <summary>
    /// Addresses whose default is this machine (the embedded defaults: 127.0.0.1) mean nothing in a pod: each
    /// must be set, and when it names a Service of the cluster, that Service exists with that port.
    /// </summary>
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void The_storefronts_dependencies_are_addressed_where_they_run(string overlay)
    {
        var rendered = Overlay.Get(overlay);
        var (_, _, environment) = ProcessTests.Pod(overlay, App.Storefront.Workload);
        foreach (var (key, fallback) in new[]
        {
            ($"{PaymentOptions.SectionName}__{nameof(PaymentOptions.BaseUrl)}", new PaymentOptions().BaseUrl),
            ($"{RecommendationsOptions.SectionName}__{nameof(RecommendationsOptions.BaseUrl)}", new RecommendationsOptions().BaseUrl),
        })
        {
            Assert.True(fallback.IsLoopback, $"{key}'s default is no longer this machine: revisit this test.");
            var url = new Uri(environment.GetValueOrDefault(key)?.Value ?? fallback.ToString());
            Assert.False(url.IsLoopback, $"{overlay}: {key} is {url}, the pod itself.");
            AssertServiceAddress(rendered, url.Host, url.Port, key);
        }

        var redis = environment["ConnectionStrings__redis"].Value!.Split(',')[0].Split(':');
        AssertServiceAddress(rendered, redis[0], Overlay.Int(redis[1]), "ConnectionStrings__redis");
        var nats = new Uri(environment["ConnectionStrings__nats"].Value!);
        AssertServiceAddress(rendered, nats.Host, nats.Port, "ConnectionStrings__nats");
    }

    /// <summary>The storefront refuses to start with a webhook secret for a team ops/ownership.json does not name.</summary>
    [Theory]
    [InlineData(Overlay.Staging)]
    [InlineData(Overlay.Production)]
    public void Webhook_secrets_are_given_for_exactly_the_teams_of_the_ownership_file(string overlay)
    {
        var (_, _, environment) = ProcessTests.Pod(overlay, App.Storefront.Workload);
        var prefix = $"{AnomaliesOptions.SectionName}__{nameof(AnomaliesOptions.WebhookSecrets)}__";
        using var ownership = JsonDocument.Parse(File.ReadAllText(Repository.File("ops", "ownership.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var teams = ownership.RootElement.GetProperty("teams").EnumerateObject().Select(t => t.Name).Order(StringComparer.Ordinal);
        Assert.Equal(teams, environment.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).Order(StringComparer.Ordinal));
        Assert.All(environment.Values.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)), e => Assert.NotNull(e.SecretName));
    }

    internal static void AssertServiceAddress(Overlay rendered, string host, int port, string what)
    {
        if (host.Contains('.', StringComparison.Ordinal))
        {
            return; // outside the cluster (the third party's API)
        }

        var service = rendered.Find("Service", host);
        Assert.True(service is not null, $"{rendered.Name}: {what} names host {host}, but there is no Service {host}.");
        Assert.True(service.MapsAt("spec.ports").Any(p => p.IntAt("port") == port), $"{rendered.Name}: Service {host} has no port {port} ({what}).");
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
