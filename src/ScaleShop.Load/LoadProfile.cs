namespace ScaleShop.Load;

/// <summary>What shoppers do on a visit. Shares are of journeys started; they sum to 1.</summary>
public sealed record JourneyMix(double Browse, double Search, double Cart, double Checkout)
{
    public static JourneyMix Default { get; } = new(0.70, 0.20, 0.08, 0.02);

    /// <summary>Parses <c>browse=70,search=20,cart=8,checkout=2</c> (any positive weights; normalised).</summary>
    public static JourneyMix Parse(string text)
    {
        var weights = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !double.TryParse(pair[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight) || weight < 0)
            {
                throw new FormatException($"'{part}' is not journey=weight (e.g. browse=70).");
            }

            if (!Enum.TryParse<JourneyKind>(pair[0], ignoreCase: true, out _))
            {
                throw new FormatException($"'{pair[0]}' is not a journey: browse, search, cart or checkout.");
            }

            weights[pair[0]] = weight;
        }

        var total = weights.Values.Sum();
        if (total <= 0)
        {
            throw new FormatException("The journey mix needs at least one positive weight.");
        }

        double Share(string name) => weights.GetValueOrDefault(name) / total;
        return new JourneyMix(Share("browse"), Share("search"), Share("cart"), Share("checkout"));
    }

    public JourneyKind Pick(double uniform) =>
        uniform < Browse ? JourneyKind.Browse
        : uniform < Browse + Search ? JourneyKind.Search
        : uniform < Browse + Search + Cart ? JourneyKind.Cart
        : JourneyKind.Checkout;

    public override string ToString() =>
        FormattableString.Invariant($"browse {Browse:P0}, search {Search:P0}, cart {Cart:P0}, checkout {Checkout:P0}");
}

public enum JourneyKind
{
    Browse,
    Search,
    Cart,
    Checkout,

    /// <summary>Single-endpoint mode (<see cref="LoadProfile.Endpoint"/>): one GET per arrival, for cross-checks with wrk.</summary>
    Endpoint,
}

/// <summary>Everything a load run needs to know about the shop it visits and the shoppers it plays.</summary>
public sealed record LoadProfile
{
    public required Uri BaseUrl { get; init; }

    public required ArrivalSchedule Schedule { get; init; }

    /// <summary>
    /// Single-endpoint mode: every arrival is one GET of this path (no journeys, no think time), so that the
    /// generator's figures can be set beside wrk's for the same endpoint. Null: the journey mix.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// With <see cref="Endpoint"/>: instead of arrivals, this many loops each send the next request as soon as
    /// the previous answered (a closed loop, as wrk does), for a like-for-like cross-check of the measuring itself.
    /// </summary>
    public int? ClosedLoopConnections { get; init; }

    public JourneyMix Mix { get; init; } = JourneyMix.Default;

    /// <summary>Seeded accounts <c>user0..user{N-1}@seed.scaleshop.test</c> shoppers are drawn from.</summary>
    public int Users { get; init; } = 1_000_000;

    /// <summary>Shoppers signed in at any moment: each keeps its token for <see cref="JourneysPerSession"/> journeys, then a new one signs in.</summary>
    public int ActiveSessions { get; init; } = 2_000;

    public int JourneysPerSession { get; init; } = 20;

    public string Password { get; init; } = Data.Seeding.SeedAccounts.Password;

    /// <summary>Products 1..N in the catalog; popularity is Zipf over them.</summary>
    public long Products { get; init; } = 10_000;

    public int Categories { get; init; } = 50;

    public double ZipfExponent { get; init; } = 1.0;

    /// <summary>Mean pause between the steps of a journey (exponentially distributed); zero for back-to-back steps.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Journeys in flight at most. An arrival beyond it is not delayed (that would hide the queueing) but
    /// counted as dropped: the generator itself could not keep up, and the run says so.
    /// </summary>
    public int MaxInFlight { get; init; } = 20_000;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Arrivals at most (started or dropped): the run ends at the schedule's end or here, whichever comes first.</summary>
    public long MaxJourneys { get; init; } = long.MaxValue;

    /// <summary>Connections to the service at most (HTTP/1.1 keep-alive).</summary>
    public int MaxConnections { get; init; } = 512;

    /// <summary>Seed of every random choice, so two runs visit the same products in the same order.</summary>
    public int Seed { get; init; } = 20_261_129;

    /// <summary>Browse journeys also fetch the viewed product's recommendations, as its page does (off by default: the load figures in docs were measured without).</summary>
    public bool RecommendationsOnProductPage { get; init; }

    /// <summary>Told of every request and every acknowledged order, with the shopper behind it (chaos experiments classify by the shopper's shard).</summary>
    public IJourneyObserver? Observer { get; init; }
}

/// <summary>Sees what the journeys do, request by request; called from many threads at once.</summary>
public interface IJourneyObserver
{
    void RequestEnded(ObservedRequest request);

    void OrderAcknowledged(AcknowledgedOrder order);
}

/// <summary>One request of a journey: who (a seeded user's index, or null for anonymous browsing), when it ended on the run's clock, how long from its due time, and its error kind (null: it succeeded).</summary>
public readonly record struct ObservedRequest(JourneyKind Journey, int? UserIndex, TimeSpan Ended, TimeSpan Latency, string? Error);

/// <summary>
/// A checkout the service acknowledged: 201 (confirmed) or 202 (accepted, pending payment). It must never be
/// lost. <see cref="Token"/> is the owner's session, so that the order can be looked up as its owner afterwards.
/// </summary>
public sealed record AcknowledgedOrder(string OrderId, int UserIndex, string Email, int Status, string? Token);
