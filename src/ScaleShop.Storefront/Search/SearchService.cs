using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Caching;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ZiggyCreatures.Caching.Fusion;

namespace ScaleShop.Storefront.Search;

/// <summary>
/// Turns what a shopper typed into plain words (letters and digits: no operator or syntax error can come
/// from user input; the last word matches as a prefix, for search-as-you-type) and caches result pages.
/// </summary>
public sealed partial class SearchService
{
    private const int MaxTerms = 8;
    private readonly ISearchStore _store;
    private readonly IFusionCache _cache;
    private readonly FusionCacheEntryOptions _entry;

    public SearchService(ISearchStore store, IFusionCache cache, IOptions<CachingOptions> caching)
    {
        _store = store;
        _cache = cache;
        _entry = cache.CreateEntryOptions(duration: caching.Value.SearchDuration);
    }

    /// <summary>What the API's problem details and the web page both say about a query too short or too long.</summary>
    public static string QueryLengthMessage(int maxLength) => $"q must be between 1 and {maxLength} characters.";

    public static IReadOnlyList<string> Terms(string query) =>
        Term().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct().Take(MaxTerms).ToArray();

    public async ValueTask<Page<ProductSummary>> SearchAsync(string query, (double Rank, long Id)? after, int limit, CancellationToken cancellationToken)
    {
        var terms = Terms(query);
        if (terms.Count == 0)
        {
            return new Page<ProductSummary>([], null);
        }

        var match = string.Join(' ', terms);

        var afterKey = after is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a.Rank:R}:{a.Id}") : "-";
        var hits = await _cache.GetOrSetTracedAsync<IReadOnlyList<SearchHit>>("search", $"search:{match}:{afterKey}:{limit}",
            (_, ct) => _store.SearchAsync(terms, after, limit + 1, ct), _entry, [CatalogService.SearchTag], cancellationToken);

        if (hits.Count <= limit)
        {
            return new Page<ProductSummary>(hits.Select(h => h.Product).ToList(), null);
        }

        var last = hits[limit - 1];
        return new Page<ProductSummary>(hits.Take(limit).Select(h => h.Product).ToList(),
            Cursor.Encode(last.Rank.ToString("R", CultureInfo.InvariantCulture), last.Product.Id.ToString(CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Term();
}
