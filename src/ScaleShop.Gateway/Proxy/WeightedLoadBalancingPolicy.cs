using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using ScaleShop.Gateway.Destinations;

namespace ScaleShop.Gateway.Proxy;

/// <summary>
/// Picks a destination with probability proportional to its weight, with the power of two choices inside that:
/// two candidates are drawn by weight and the one less loaded <em>for its weight</em> (requests in flight ÷ weight)
/// wins, the first on a tie. When the instances answer alike, in-flight counts follow the weights, the loads tie
/// and the split is the weights' (10/90 gives ~10%); an instance that slows down collects in-flight requests and
/// is passed over until it catches up. Destinations with weight 0 or draining are never picked.
/// </summary>
public sealed class WeightedLoadBalancingPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ScaleShopWeighted";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        long total = 0;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            total += Weight(availableDestinations[i]);
        }

        if (total == 0)
        {
            return null;
        }

        var first = Draw(availableDestinations, total);
        var second = Draw(availableDestinations, total);
        if (ReferenceEquals(first, second))
        {
            return first;
        }

        // first.inFlight / first.weight <= second.inFlight / second.weight, without division.
        var firstLoad = (long)first.ConcurrentRequestCount * Weight(second);
        var secondLoad = (long)second.ConcurrentRequestCount * Weight(first);
        return secondLoad < firstLoad ? second : first;
    }

    private static DestinationState Draw(IReadOnlyList<DestinationState> destinations, long total)
    {
        var point = Random.Shared.NextInt64(total);
        for (var i = 0; i < destinations.Count; i++)
        {
            point -= Weight(destinations[i]);
            if (point < 0)
            {
                return destinations[i];
            }
        }

        throw new InvalidOperationException("The weights changed while drawing.");
    }

    private static int Weight(DestinationState destination)
    {
        var info = DestinationInfo.Of(destination);
        return info.TakesNewRequests ? info.Weight : 0;
    }
}
