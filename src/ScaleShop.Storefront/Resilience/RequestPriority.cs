namespace ScaleShop.Storefront.Resilience;

/// <summary>Which requests go first when the instance is overloaded. Endpoints declare it with <c>WithPriority</c>; default Normal.</summary>
public enum RequestPriority
{
    /// <summary>Recommendations: nice to have; shed first.</summary>
    Low,

    /// <summary>Browse, search, cart, order history.</summary>
    Normal,

    /// <summary>Checkout and placing orders: revenue; shed last.</summary>
    Critical,

    /// <summary>Health probes and operators' endpoints: never shed (an overloaded instance must still say so, and be operable).</summary>
    Exempt,
}

public sealed record RequestPriorityMetadata(RequestPriority Priority);

public static class RequestPriorityExtensions
{
    public static TBuilder WithPriority<TBuilder>(this TBuilder builder, RequestPriority priority) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestPriorityMetadata(priority));
}
