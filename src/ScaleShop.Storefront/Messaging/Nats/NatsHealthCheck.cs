using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The bus answers a ping. Degraded, never unhealthy, when it does not: checkout goes on and its events wait in
/// the outboxes; only the projections fall behind until the bus is back.
/// </summary>
public sealed class NatsHealthCheck(INatsConnection connection) : IHealthCheck
{
    public const string CheckName = "nats";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var roundTrip = await connection.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"NATS answers in {roundTrip.TotalMilliseconds:F1} ms.");
        }
        catch (Exception exception) when (exception is NatsException or TimeoutException)
        {
            return HealthCheckResult.Degraded($"NATS does not answer ({exception.GetType().Name}): events wait in the outboxes.", exception);
        }
    }
}
