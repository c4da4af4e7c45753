using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ScaleShop.Data;
using ScaleShop.ServiceDefaults.Health;
using ScaleShop.Storefront.Hosting;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>The three probes, and readiness's body: every dependency by name with its status, description and duration.</summary>
public sealed class HealthTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task Readiness_lists_every_dependency_by_name_and_a_healthy_instance_answers_200()
    {
        using var client = app.Anonymous();
        var (status, report) = await ProbeAsync(client, HealthProbes.ReadyPath);

        Assert.Equal(HttpStatusCode.OK, status);
        var expected = new List<string> { "startup", "shutdown", "db.catalog", "db.shard0", "db.shard1", "db.shard2", "db.shard3", "payments", "recommendations" };
        if (TestStorage.IsPostgres)
        {
            // The topology's replica A' serves the catalog, shard0 and shard1; the bus is JetStream, the cache has Redis.
            expected.AddRange(["db.catalog.replicas", "db.shard0.replicas", "db.shard1.replicas", "nats"]);
            if (TestStorage.Redis is not null)
            {
                expected.Add("redis");
            }
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), report.Checks.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(report.Checks, check =>
        {
            Assert.False(string.IsNullOrWhiteSpace(check.Description), check.Name);
            Assert.True(check.DurationMs >= 0, check.Name);
        });
        Assert.All(report.Checks.Where(c => c.Name.StartsWith("db.", StringComparison.Ordinal) && !c.Name.EndsWith(".replicas", StringComparison.Ordinal)),
            check => Assert.Equal("Healthy", check.Status));
        Assert.Equal("Healthy", report.Checks.Single(c => c.Name == "payments").Status);
    }

    [Fact]
    public async Task Liveness_asks_nothing_but_the_process()
    {
        using var client = app.Anonymous();
        var (status, report) = await ProbeAsync(client, HealthProbes.LivePath);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("self", Assert.Single(report.Checks).Name);
    }

    [Fact]
    public async Task Startup_is_unready_while_start_up_work_runs_and_ready_once_it_is_done()
    {
        using var client = app.Anonymous();
        var (status, report) = await ProbeAsync(client, HealthProbes.StartupPath);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("startup", Assert.Single(report.Checks).Name);

        // Work begun later (as a background start-up step would) holds startup and readiness until it ends.
        using (app.Service<StartupWork>().Begin(StartupInitializer.WorkName))
        {
            (status, report) = await ProbeAsync(client, HealthProbes.StartupPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains(StartupInitializer.WorkName, Assert.Single(report.Checks).Description, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ProbeAsync(client, HealthProbes.ReadyPath)).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(client, HealthProbes.StartupPath)).Status);
    }

    internal static async Task<(HttpStatusCode Status, HealthReportDto Report)> ProbeAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<HealthReportDto>(JsonSerializerOptions.Web, TestContext.Current.CancellationToken))!);
    }
}

public sealed record HealthReportDto(string Status, double DurationMs, List<HealthCheckDto> Checks);

public sealed record HealthCheckDto(string Name, string Status, string? Description, double DurationMs);

/// <summary>
/// Third parties unreachable (nothing listens on their ports), chaos switched on for the databases, and a short
/// check timeout: what readiness says when dependencies fail or hang.
/// </summary>
public sealed class FailingDependenciesApp : StorefrontApp
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromMilliseconds(500);

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Payments:BaseUrl", "http://127.0.0.1:1/"),
        new("Recommendations:BaseUrl", "http://127.0.0.1:1/"),
        new("Chaos:Enabled", "true"),
        new("Health:CheckTimeout", CheckTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

public sealed class FailingDependencyHealthTests(FailingDependenciesApp app) : IClassFixture<FailingDependenciesApp>
{
    [Fact]
    public async Task A_third_party_down_is_degraded_and_the_instance_stays_in_the_load_balancer()
    {
        using var client = app.Anonymous();
        var (status, report) = await HealthTests.ProbeAsync(client, HealthProbes.ReadyPath);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", report.Status);
        Assert.Equal("Degraded", report.Checks.Single(c => c.Name == "payments").Status);
        Assert.Equal("Degraded", report.Checks.Single(c => c.Name == "recommendations").Status);
        Assert.Contains("pending_payment", report.Checks.Single(c => c.Name == "payments").Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_shard_times_out_as_degraded_and_a_failing_catalog_makes_the_instance_unready_within_the_check_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = app.Anonymous();
        using var admin = await app.AdminAsync();
        var shard = app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabases[2];
        try
        {
            // The shard's opens hang far longer than the check may take; the catalog's fail.
            (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{shard}", new { latencyRate = 1.0, latencyMs = 60_000 }, ct)).EnsureSuccessStatusCode();
            var (status, report) = await HealthTests.ProbeAsync(client, HealthProbes.ReadyPath);
            Assert.Equal(HttpStatusCode.OK, status);
            var hung = report.Checks.Single(c => c.Name == DatabaseHealthChecks.CheckName(shard));
            Assert.Equal("Degraded", hung.Status);
            Assert.InRange(hung.DurationMs, 0, (FailingDependenciesApp.CheckTimeout * 4).TotalMilliseconds);

            (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.catalog", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
            var started = Stopwatch.GetTimestamp();
            (status, report) = await HealthTests.ProbeAsync(client, HealthProbes.ReadyPath);
            // The probe answers though a database hangs: a hung dependency costs at most its check's timeout.
            Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, FailingDependenciesApp.CheckTimeout * 4);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", report.Status);
            Assert.Equal("Unhealthy", report.Checks.Single(c => c.Name == "db.catalog").Status);
            Assert.Equal("Degraded", report.Checks.Single(c => c.Name == DatabaseHealthChecks.CheckName(shard)).Status);
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }

        // The catalog's breaker may stay open a moment after the faults are gone.
        await Infrastructure.Eventually.ValueAsync(async () => (await HealthTests.ProbeAsync(client, HealthProbes.ReadyPath)).Status,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness back once the databases answer");
    }
}
