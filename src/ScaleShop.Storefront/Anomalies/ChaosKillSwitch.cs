using ScaleShop.Storefront.Chaos;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>While an incident is active, nobody adds faults to a system already in trouble: chaos injection is refused.</summary>
public sealed class IncidentChaosKillSwitch(IncidentStore incidents) : IChaosKillSwitch
{
    public async Task<string?> ReasonToRefuseAsync(CancellationToken cancellationToken) =>
        await incidents.FirstActiveAsync(cancellationToken) is { } incident
            ? $"Incident {incident.Id} ({incident.Severity}, {incident.Component}) is {incident.Status}; chaos injection is refused until it is resolved."
            : null;
}
