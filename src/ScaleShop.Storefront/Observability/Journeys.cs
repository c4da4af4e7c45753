namespace ScaleShop.Storefront.Observability;

/// <summary>
/// The journeys a shopper makes, the unit objectives are set on. An endpoint belongs to one through
/// <see cref="JourneyEndpointExtensions.WithJourney{TBuilder}"/>; endpoints of none (sign-in, admin) are not
/// judged by an objective.
/// </summary>
public static class Journeys
{
    public const string Browse = "browse";
    public const string Search = "search";
    public const string Cart = "cart";
    public const string Checkout = "checkout";
    public const string Recommendations = "recommendations";
}

/// <summary>Endpoint metadata naming the journey a request belongs to.</summary>
public sealed record JourneyMetadata(string Journey);

public static class JourneyEndpointExtensions
{
    public static TBuilder WithJourney<TBuilder>(this TBuilder builder, string journey) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new JourneyMetadata(journey));
}
