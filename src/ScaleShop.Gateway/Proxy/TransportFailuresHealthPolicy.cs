using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ScaleShop.Gateway.Proxy;

/// <summary>
/// Passive health: a destination whose proxied requests failed at the transport level
/// (<see cref="GatewayOptions.PassiveHealthFailureThreshold"/> times in a row: refused, reset, vanished, timed out)
/// is taken out for the cluster's reactivation period, without waiting for the next probe; any answer resets
/// the count. An HTTP answer, a 503 included, is not a failure here: the instance answered.
/// </summary>
public sealed class TransportFailuresHealthPolicy(IDestinationHealthUpdater healthUpdater, IOptions<GatewayOptions> options) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "ScaleShopTransportFailures";

    private readonly ConditionalWeakTable<DestinationState, StrongBox<int>> _consecutive = [];

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var failures = _consecutive.GetValue(destination, static _ => new StrongBox<int>());
        if (!IsDestinationFailure(context.Features.Get<IForwarderErrorFeature>()?.Error))
        {
            Volatile.Write(ref failures.Value, 0);
            return;
        }

        if (Interlocked.Increment(ref failures.Value) >= options.Value.PassiveHealthFailureThreshold)
        {
            Volatile.Write(ref failures.Value, 0);
            var reactivation = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? options.Value.PassiveHealthReactivationPeriod;
            healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, reactivation);
        }
    }

    /// <summary>The destination, not the client, failed the request.</summary>
    public static bool IsDestinationFailure(ForwarderError? error) => error is ForwarderError.Request
        or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination
        or ForwarderError.ResponseHeaders
        or ForwarderError.ResponseBodyDestination;
}
