using ScaleShop.Storefront.Anomalies;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// docs/runbooks/incident.md executed as written against a real storefront (Kestrel, on whichever provider the pass
/// runs): an incident is open on a component no other runbook owns; the runbook's diagnosis reads it, its actions
/// acknowledge it, lift injected faults and resolve it through the admin API, and its verification passes. A runbook
/// whose API calls drift from the incidents API fails here.
/// </summary>
public sealed class IncidentRunbookTests : IAsyncLifetime
{
    // Its own storefront: the runbook works on the newest active incident, and verifies that none is left.
    private readonly IncidentApp _app = new();

    public ValueTask InitializeAsync() => _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task The_incident_runbook_acknowledges_and_resolves_the_open_incident_under_its_own_verification()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = await _app.AdminAsync();
        var incident = await _app.Service<IncidentStore>().RecordAsync(
            [new AnomalySignal("dependency.widgets.failure_ratio", "widgets", SignalKinds.Anomaly, DateTimeOffset.UtcNow, 0.5, 0.99)], TimeSpan.FromMinutes(5), ct);
        Assert.NotNull(incident);
        Assert.Equal("docs/runbooks/incident.md", incident.Runbook);

        var drill = await RunbookRun.DrillAsync("incident.md", admin);

        RunbookRun.AssertRanCleanly(drill);
        var after = await (await admin.GetAsync($"/api/ops/incidents/{incident.Id}", ct)).ReadAsync<Incident>();
        Assert.Equal((IncidentStatuses.Resolved, StorefrontApp.AdminEmail, StorefrontApp.AdminEmail), (after.Status, after.AcknowledgedBy, after.ResolvedBy));
    }
}
