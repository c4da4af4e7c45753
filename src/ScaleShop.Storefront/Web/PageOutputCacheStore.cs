using Microsoft.AspNetCore.OutputCaching;
using ZiggyCreatures.Caching.Fusion;

namespace ScaleShop.Storefront.Web;

/// <summary>
/// Output-cached pages kept in the storefront's FusionCache rather than the default per-process store: memory
/// first (a hit costs no network), Redis second when there is one (an instance that has not rendered a page yet
/// takes it from there), and evictions by tag reach every instance through the backplane. The tags are the
/// catalog's own (<see cref="Catalog.CatalogService"/>), so the admin change that evicts a product's cached data
/// evicts the pages that show it in the same call.
/// </summary>
public sealed class PageOutputCacheStore(IFusionCache cache) : IOutputCacheStore
{
    private const string KeyPrefix = "page:";

    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var hit = await cache.TryGetAsync<byte[]>(KeyPrefix + key, token: cancellationToken);
        return hit.HasValue ? hit.Value : null;
    }

    public ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken) =>
        cache.SetAsync(KeyPrefix + key, value, cache.DefaultEntryOptions.Duplicate(validFor).SetFailSafe(false), tags, cancellationToken);

    public ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken) => cache.RemoveByTagAsync(tag, token: cancellationToken);
}
