using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;
using ScaleShop.Gateway.Proxy;

namespace ScaleShop.Gateway.Destinations;

/// <summary>One destination as the admin API shows it: what was set, and YARP's live view of it.</summary>
public sealed record DestinationView(string Id, string Address, string Version, int Weight, string State, bool Healthy, int InFlight);

public sealed record DestinationList(IReadOnlyList<DestinationView> Destinations);

/// <summary>
/// The set of storefront instances, and YARP's configuration made from it: one catch-all route to the cluster
/// <see cref="ClusterId"/>. Every change builds a whole new configuration and swaps it in at once through YARP's
/// <see cref="InMemoryConfigProvider"/>; the route and the cluster's health-check and balancing settings are the
/// same object in every configuration, only the destinations differ. YARP keeps a destination's state (health,
/// requests in flight) across swaps by id, and a request in flight holds its destination's state even after the
/// destination is removed, so removing one does not break what it is serving.
/// </summary>
public sealed class DestinationCatalog : IProxyConfigProvider
{
    public const string ClusterId = "storefront";
    public const string RouteId = "storefront";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DestinationConfig> _destinations = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<RouteConfig> _routes;
    private readonly ClusterConfig _cluster;
    private readonly InMemoryConfigProvider _provider;
    private readonly IServiceProvider _services;
    private IProxyStateLookup? _state;

    public DestinationCatalog(IOptions<GatewayOptions> options, IServiceProvider services)
    {
        _services = services;
        var settings = options.Value;
        _routes = [new RouteConfig { RouteId = RouteId, ClusterId = ClusterId, Match = new RouteMatch { Path = "{**catch-all}" } }];
        _cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = WeightedLoadBalancingPolicy.PolicyName,
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = settings.RequestActivityTimeout },
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = settings.AvailableDestinationsPolicy,
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = settings.ActiveHealthCheckInterval,
                    Timeout = settings.ActiveHealthCheckTimeout,
                    Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                    Path = settings.ActiveHealthCheckPath,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = TransportFailuresHealthPolicy.PolicyName,
                    ReactivationPeriod = settings.PassiveHealthReactivationPeriod,
                },
            },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ConsecutiveFailuresThresholdKey] = settings.ActiveHealthCheckFailureThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };

        foreach (var (id, destination) in settings.Destinations)
        {
            _destinations[id] = Config(destination.Address!, new DestinationInfo(destination.Version!, destination.Weight!.Value, DestinationMode.Active));
        }

        _provider = new InMemoryConfigProvider(_routes, [Cluster()]);
    }

    /// <summary>YARP's ConsecutiveFailures active policy reads its threshold from this cluster metadata key.</summary>
    public const string ConsecutiveFailuresThresholdKey = "ConsecutiveFailuresHealthPolicy.Threshold";

    public IProxyConfig GetConfig() => _provider.GetConfig();

    public DestinationList List()
    {
        lock (_gate)
        {
            return new DestinationList([.. _destinations.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => View(pair.Key, pair.Value))]);
        }
    }

    /// <summary>Creates the destination or changes its address, version and weight; a draining one becomes active again.</summary>
    public DestinationView Put(string id, string address, string version, int weight) =>
        Change(id, _ => Config(address, new DestinationInfo(version, weight, DestinationMode.Active)))!;

    /// <summary>Stops sending it new requests; what it has in flight finishes. Null when unknown.</summary>
    public DestinationView? Drain(string id) =>
        Change(id, current => current is null ? null : current with { Metadata = (DestinationInfo.Of(current) with { Mode = DestinationMode.Draining }).ToMetadata() });

    /// <summary>Removes it from the set; requests in flight to it finish. False when unknown.</summary>
    public bool Remove(string id)
    {
        lock (_gate)
        {
            if (!_destinations.Remove(id))
            {
                return false;
            }

            Apply();
            return true;
        }
    }

    private DestinationView? Change(string id, Func<DestinationConfig?, DestinationConfig?> change)
    {
        lock (_gate)
        {
            var changed = change(_destinations.GetValueOrDefault(id));
            if (changed is null)
            {
                return null;
            }

            _destinations[id] = changed;
            Apply();
            return View(id, changed);
        }
    }

    private void Apply() => _provider.Update(_routes, [Cluster()]);

    private ClusterConfig Cluster() => _cluster with { Destinations = new Dictionary<string, DestinationConfig>(_destinations, StringComparer.Ordinal) };

    private static DestinationConfig Config(string address, DestinationInfo info) => new() { Address = address, Metadata = info.ToMetadata() };

    private DestinationView View(string id, DestinationConfig config)
    {
        var info = DestinationInfo.Of(config);
        var live = Live(id);
        var healthy = live is null || (live.Health.Active != DestinationHealth.Unhealthy && live.Health.Passive != DestinationHealth.Unhealthy);
        return new DestinationView(id, config.Address, info.Version, info.Weight, DestinationInfo.StateName(info.Mode), healthy, live?.ConcurrentRequestCount ?? 0);
    }

    private DestinationState? Live(string id)
    {
        // Resolved late: YARP's state lookup depends on this provider.
        _state ??= _services.GetRequiredService<IProxyStateLookup>();
        return _state.TryGetCluster(ClusterId, out var cluster) && cluster.Destinations.TryGetValue(id, out var destination) ? destination : null;
    }
}
