using ScaleShop.RecommendationsService;

namespace ScaleShop.Testing;

/// <summary>
/// The real recommendations service: each storefront fixture asks and feeds its own over real HTTP, so no
/// test sees another's orders.
/// </summary>
public class RecommendationsHost() : ServiceHost<RecommendationsServiceEntryPoint>("recommendations")
{
    protected override string DataDirectorySetting => "Recommendations:DataDirectory";

    // Tests read what they just fed.
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Recommendations:PopularRefresh", "00:00:00.100")];

    public Task SetFaultsAsync(int latencyMs = 0, double failureRate = 0, bool down = false) => PutFaultsAsync(new { latencyMs, failureRate, down });
}
