using System.Globalization;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace ScaleShop.Gateway.Destinations;

/// <summary>Whether a destination takes new requests: <c>active</c>, or <c>draining</c> (only what it has in flight).</summary>
public enum DestinationMode
{
    Active,
    Draining,
}

/// <summary>
/// What the gateway adds to a YARP destination, kept in its metadata so that one configuration swap changes
/// address, version, weight and state together. Parsed once per configuration object, not per request.
/// </summary>
public sealed record DestinationInfo(string Version, int Weight, DestinationMode Mode)
{
    public const string VersionKey = "scaleshop.version";
    public const string WeightKey = "scaleshop.weight";
    public const string StateKey = "scaleshop.state";

    private static readonly ConditionalWeakTable<DestinationConfig, DestinationInfo> Parsed = [];

    /// <summary>Takes new requests: active with a weight above 0.</summary>
    public bool TakesNewRequests => Mode == DestinationMode.Active && Weight > 0;

    public static DestinationInfo Of(DestinationState destination) => Of(destination.Model.Config);

    public static DestinationInfo Of(DestinationConfig config) => Parsed.GetValue(config, Parse);

    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [VersionKey] = Version,
        [WeightKey] = Weight.ToString(CultureInfo.InvariantCulture),
        [StateKey] = StateName(Mode),
    };

    public static string StateName(DestinationMode mode) => mode == DestinationMode.Draining ? "draining" : "active";

    private static DestinationInfo Parse(DestinationConfig config)
    {
        var metadata = config.Metadata;
        string? Read(string key) => metadata is not null && metadata.TryGetValue(key, out var value) ? value : null;
        var weight = int.TryParse(Read(WeightKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var mode = Read(StateKey) == "draining" ? DestinationMode.Draining : DestinationMode.Active;
        return new DestinationInfo(Read(VersionKey) ?? "unknown", weight, mode);
    }
}
