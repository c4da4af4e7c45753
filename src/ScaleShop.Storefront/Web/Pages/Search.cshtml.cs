using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Search;

namespace ScaleShop.Storefront.Web.Pages;

[OutputCache(PolicyName = WebExtensions.PageCachePolicy, Tags = [CatalogService.SearchTag])]
public sealed class SearchModel(SearchService search, IOptions<WebOptions> options, IOptions<ApiOptions> api) : StorefrontPage
{
    public string? Query { get; private set; }

    public IReadOnlyList<ProductSummary> Results { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task OnGetAsync(string? q, string? after, CancellationToken cancellationToken)
    {
        Query = q?.Trim();
        if (string.IsNullOrEmpty(Query))
        {
            return;
        }

        var maxLength = api.Value.SearchQueryMaxLength;
        if (Query.Length > maxLength)
        {
            ModelState.AddModelError("q", SearchService.QueryLengthMessage(maxLength));
            return;
        }

        // A cursor this page did not hand out starts from the first result rather than failing the page.
        (double, long)? position = after is not null && Cursor.TryDecode(after, out var parts) && parts is [var rank, var id]
            && Cursor.TryReadDouble(rank, out var r) && Cursor.TryReadLong(id, out var i) ? (r, i) : null;
        var page = await search.SearchAsync(Query, position, options.Value.PageSize, cancellationToken);
        (Results, Next) = (page.Items, page.Next);
    }
}
