using System.Net;
using System.Text.Json;
using ScaleShop.Anomalies;
using ScaleShop.Storefront.Anomalies;

namespace ScaleShop.Storefront.Tests;

/// <summary>A storefront whose teams' webhooks point at a local receiver; the payments team's secret is configured, the others' generated.</summary>
public sealed class IncidentApp : StorefrontApp
{
    public static readonly byte[] PaymentsSecret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public IncidentApp() => Receiver = WebhookReceiver.StartAsync().GetAwaiter().GetResult();

    public WebhookReceiver Receiver { get; }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings
    {
        get
        {
            var ownership = Path.Combine(DataDirectory, "ownership.json");
            Directory.CreateDirectory(DataDirectory);
            var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ownership.json"));
            File.WriteAllText(ownership, shipped.Replace("http://127.0.0.1:5098/", Receiver.BaseAddress.ToString(), StringComparison.Ordinal));
            return
            [
                new("Chaos:Enabled", "true"),
                new("Anomalies:OwnershipPath", ownership),
                new("Anomalies:WebhookSecrets:payments", Convert.ToBase64String(PaymentsSecret)),
                new("Anomalies:NotificationPollInterval", "00:00:00.200"),
                new("Anomalies:NotificationRetryDelay", "00:00:00.200"),
                new("Anomalies:GroupWindow", "00:05:00"),
            ];
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Signals become incidents: grouped, given a root cause and a severity from the SLO impact, routed to the team that
/// owns the cause with a signed webhook (retried until accepted), acknowledged and resolved by operators; while one
/// is active, chaos injection is refused.
/// </summary>
public sealed class IncidentTests(IncidentApp app) : IClassFixture<IncidentApp>
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_cause_and_its_symptoms_are_one_incident_for_the_cause_owner_signed_and_escalated_by_SLO_impact()
    {
        await ResolveAllAsync();
        var store = app.Service<IncidentStore>();
        var now = DateTimeOffset.UtcNow;
        var ct = TestContext.Current.CancellationToken;
        var opened = await store.RecordAsync(
        [
            new AnomalySignal("dependency.payments.p99_ms", "payments", SignalKinds.Anomaly, now, 812, 0.99),
            new AnomalySignal("journey.checkout.p99_ms", "journey.checkout", SignalKinds.Anomaly, now, 840, 0.98),
        ], TimeSpan.FromMinutes(5), ct);
        Assert.NotNull(opened);
        Assert.Equal(("payments", "payments", IncidentSeverities.Sev3, "docs/runbooks/payment-provider.md"), (opened.Component, opened.Team, opened.Severity, opened.Runbook));

        var first = await DeliveryAsync(d => d.DeliveryId == $"incident-{opened.Id}-v1");
        Assert.Equal(("payments", "incident.opened"), (first.Team, first.Event));
        Assert.True(WebhookSignature.IsValid(first.Body, IncidentApp.PaymentsSecret, first.Signature), "the signature is the HMAC of the body with the team's secret");
        Assert.False(WebhookSignature.IsValid(first.Body, new byte[32], first.Signature));
        var body = JsonSerializer.Deserialize<JsonElement>(first.Body);
        Assert.Equal("Payments", body.GetProperty("teamName").GetString());
        Assert.Equal(2, body.GetProperty("incident").GetProperty("signals").GetArrayLength());

        // Checkout's budget now burns fast enough to page: the same incident becomes sev1 and the team hears of it.
        var escalated = await store.RecordAsync([new AnomalySignal("journey.checkout.slo_availability_fast-burn", "journey.checkout", SignalKinds.SloPage, now.AddSeconds(10), 40, 60)],
            TimeSpan.FromMinutes(5), ct);
        Assert.Equal((opened.Id, IncidentSeverities.Sev1, 2), (escalated!.Id, escalated.Severity, escalated.Version));
        var update = await DeliveryAsync(d => d.DeliveryId == $"incident-{opened.Id}-v2");
        Assert.Equal("incident.updated", update.Event);
    }

    [Fact]
    public async Task The_root_cause_is_the_first_dependency_to_go_anomalous_and_the_incident_moves_to_its_team()
    {
        await ResolveAllAsync();
        var store = app.Service<IncidentStore>();
        var now = DateTimeOffset.UtcNow;
        var ct = TestContext.Current.CancellationToken;
        var symptom = await store.RecordAsync([new AnomalySignal("journey.search.error_ratio", "journey.search", SignalKinds.Anomaly, now, 0.4, 0.97)], TimeSpan.FromMinutes(5), ct);
        Assert.Equal(("journey.search", "storefront"), (symptom!.Component, symptom.Team));

        var cause = await store.RecordAsync([new AnomalySignal("dependency.db.shard2.failure_ratio", "db.shard2", SignalKinds.Anomaly, now.AddSeconds(10), 1, 0.999)], TimeSpan.FromMinutes(5), ct);
        Assert.Equal((symptom.Id, "db.shard2", "data", "docs/runbooks/shard-primary-down.md"), (cause!.Id, cause.Component, cause.Team, cause.Runbook));

        // The data team is told (its secret was generated into the shared data folder, where its receiver reads it).
        var delivery = await DeliveryAsync(d => d.Team == "data" && d.DeliveryId == $"incident-{cause.Id}-v{cause.Version}");
        var secret = Convert.FromBase64String(await File.ReadAllTextAsync(Path.Combine(app.DataDirectory, "keys", TeamSecrets.FileName("data")), ct));
        Assert.True(WebhookSignature.IsValid(delivery.Body, secret, delivery.Signature));
    }

    [Fact]
    public async Task A_paging_service_that_fails_gets_the_notification_again_until_it_accepts_it()
    {
        await ResolveAllAsync();
        app.Receiver.FailNext(2);
        var incident = await app.Service<IncidentStore>().RecordAsync(
            [new AnomalySignal("dependency.recommendations.failure_ratio", "recommendations", SignalKinds.Anomaly, DateTimeOffset.UtcNow, 1, 0.99)],
            TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        Assert.NotNull(incident);

        var delivery = await DeliveryAsync(d => d.DeliveryId == $"incident-{incident.Id}-v1");
        Assert.Equal("recommendations", delivery.Team);
        // Marked sent once accepted (just after the receiver answered).
        await Eventually.ValueAsync(async () => (await app.Service<IncidentStore>().GetAsync(incident.Id, TestContext.Current.CancellationToken))!.NotifiedVersion,
            version => version == 1, DeliveryWait, "the delivery marked sent");
    }

    [Fact]
    public async Task Operators_acknowledge_and_resolve_and_chaos_is_refused_while_an_incident_is_active()
    {
        await ResolveAllAsync();
        var ct = TestContext.Current.CancellationToken;
        using var admin = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { latencyRate = 1.0, latencyMs = 10 }, ct)).StatusCode);
        (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();

        var incident = await app.Service<IncidentStore>().RecordAsync(
            [new AnomalySignal("dependency.cache.hit_ratio", "cache", SignalKinds.Anomaly, DateTimeOffset.UtcNow, 0.1, 0.99)], TimeSpan.FromMinutes(5), ct);
        var refused = await (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { faultRate = 0.5 }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains($"Incident {incident!.Id}", refused.Detail, StringComparison.Ordinal);
        await (await admin.PostAsJsonAsync("/api/v1/admin/chaos/checkout", new { step = "StockReserved" }, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        // Lifting a fault is never refused.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { faultRate = 0.0, latencyRate = 0.0 }, ct)).StatusCode);

        var listed = await (await admin.GetAsync("/api/ops/incidents", ct)).ReadAsync<IncidentList>();
        Assert.Contains(listed.Items, i => i.Id == incident.Id && i.Component == "cache" && i.Team == "platform");
        var acknowledged = await (await admin.PostAsync($"/api/ops/incidents/{incident.Id}/acknowledge", null, ct)).ReadAsync<Incident>();
        Assert.Equal((IncidentStatuses.Acknowledged, StorefrontApp.AdminEmail), (acknowledged.Status, acknowledged.AcknowledgedBy));
        await (await admin.PostAsync($"/api/ops/incidents/{incident.Id}/acknowledge", null, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        var resolved = await (await admin.PostAsync($"/api/ops/incidents/{incident.Id}/resolve", null, ct)).ReadAsync<Incident>();
        Assert.Equal(IncidentStatuses.Resolved, resolved.Status);
        Assert.NotNull(resolved.ResolvedAt);
        await (await admin.PostAsync($"/api/ops/incidents/{incident.Id}/resolve", null, ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PostAsync("/api/ops/incidents/999999/resolve", null, ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync("/api/ops/incidents?status=open", ct)).AssertFieldErrorAsync("status");
        Assert.DoesNotContain((await (await admin.GetAsync("/api/ops/incidents", ct)).ReadAsync<IncidentList>()).Items, i => i.Id == incident.Id);
        Assert.Contains((await (await admin.GetAsync("/api/ops/incidents?status=all", ct)).ReadAsync<IncidentList>()).Items, i => i.Id == incident.Id);

        // Resolved: injection is allowed again.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { faultRate = 0.5 }, ct)).StatusCode);
        (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        using var shopper = app.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.GetAsync("/api/ops/incidents", ct)).StatusCode);
    }

    [Fact]
    public async Task Instances_filing_the_same_fault_at_once_open_one_incident()
    {
        await ResolveAllAsync();
        var store = app.Service<IncidentStore>();
        var now = DateTimeOffset.UtcNow;
        var filed = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => store.RecordAsync(
            [new AnomalySignal($"dependency.bus.publish_lag_ms", "bus", SignalKinds.Anomaly, now.AddMilliseconds(i), 5_000 + i, 0.99)],
            TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken)));
        Assert.Single(filed.Select(i => i!.Id).Distinct());
        Assert.Single(await store.ListAsync(activeOnly: true, 50, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_incident_that_went_quiet_is_resolved_by_the_system_and_a_live_one_is_not()
    {
        await ResolveAllAsync();
        var store = app.Service<IncidentStore>();
        var ct = TestContext.Current.CancellationToken;
        var quiet = await store.RecordAsync([new AnomalySignal("dependency.db.shard1.p99_ms", "db.shard1", SignalKinds.Anomaly, DateTimeOffset.UtcNow.AddHours(-1), 900, 0.99)],
            TimeSpan.FromMinutes(5), ct);
        var live = await store.RecordAsync([new AnomalySignal("dependency.db.shard3.p99_ms", "db.shard3", SignalKinds.Anomaly, DateTimeOffset.UtcNow, 900, 0.99)],
            TimeSpan.Zero, ct);
        Assert.NotEqual(quiet!.Id, live!.Id);

        // The notifier's own round may get there first (it runs this every poll): either way the quiet one ends resolved by the system.
        Assert.InRange(await store.ResolveQuietAsync(TimeSpan.FromMinutes(30), ct), 0, 1);
        var resolved = await store.GetAsync(quiet.Id, ct);
        Assert.Equal((IncidentStatuses.Resolved, IncidentStore.AutoResolver), (resolved!.Status, resolved.ResolvedBy));
        Assert.Equal(IncidentStatuses.Open, (await store.GetAsync(live.Id, ct))!.Status);
    }

    [Theory]
    [InlineData("""{ "teams": { "a": { "webhooks": [] } }, "components": [ { "match": "x", "team": "a", "runbook": "r.md" } ] }""", "catch-all")]
    [InlineData("""{ "teams": { "a": { "webhooks": [] } }, "components": [ { "match": "*", "team": "b", "runbook": "r.md" } ] }""", "components[0].team")]
    [InlineData("""{ "teams": { "a": { "webhooks": ["ftp://x"] } }, "components": [ { "match": "*", "team": "a", "runbook": "r.md" } ] }""", "teams.a.webhooks")]
    [InlineData("""{ "teams": { "a": { "webhooks": [] } }, "components": [ { "match": "*", "team": "a" } ] }""", "components[0].runbook")]
    public void An_ownership_file_with_a_mistake_is_refused_naming_the_field(string json, string field)
    {
        var path = Path.Combine(app.DataDirectory, $"ownership-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        Assert.Contains(field, Assert.Throws<InvalidDataException>(() => Ownership.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_ownership_file_gives_every_component_an_owner_and_a_runbook()
    {
        var ownership = Ownership.Load(Path.Combine(AppContext.BaseDirectory, "ownership.json"));
        Assert.Equal("payments", ownership.OwnerOf("payments").Team.Id);
        Assert.Equal("data", ownership.OwnerOf("db.shard3").Team.Id);
        Assert.Equal("docs/runbooks/replica-lag.md", ownership.OwnerOf("db.replica").Runbook);
        Assert.Equal("storefront", ownership.OwnerOf("journey.checkout").Team.Id);
        Assert.Equal("storefront", ownership.OwnerOf("something-new").Team.Id);

        // Every runbook an incident links exists, and the on-call index lists it.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ScaleShop.slnx")))
        {
            root = root.Parent ?? throw new InvalidOperationException("Not inside the repository.");
        }

        var index = File.ReadAllText(Path.Combine(root.FullName, "docs", "runbooks", "README.md"));
        Assert.All(ownership.Components, component =>
        {
            Assert.True(File.Exists(Path.Combine(root.FullName, component.Runbook)), $"{component.Match}: {component.Runbook} does not exist");
            Assert.Contains(Path.GetFileName(component.Runbook), index, StringComparison.Ordinal);
        });
    }

    private async Task<WebhookReceiver.Delivery> DeliveryAsync(Func<WebhookReceiver.Delivery, bool> match) =>
        await Eventually.ValueAsync(() => Task.FromResult(app.Receiver.Deliveries.FirstOrDefault(match)), d => d is not null, DeliveryWait, "the webhook delivery") ?? throw new InvalidOperationException();

    private async Task ResolveAllAsync()
    {
        var store = app.Service<IncidentStore>();
        foreach (var incident in await store.ListAsync(activeOnly: true, 200, TestContext.Current.CancellationToken))
        {
            await store.TransitionAsync(incident.Id, IncidentStatuses.Resolved, "test", TestContext.Current.CancellationToken);
        }
    }
}
