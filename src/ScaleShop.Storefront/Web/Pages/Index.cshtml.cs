using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;

namespace ScaleShop.Storefront.Web.Pages;

[OutputCache(PolicyName = WebExtensions.PageCachePolicy, Tags = [CatalogService.PopularTag, CatalogService.AllListingsTag])]
public sealed class IndexModel(CatalogService catalog, IOptions<WebOptions> options) : StorefrontPage
{
    public IReadOnlyList<ProductSummary> BestSellers { get; private set; } = [];

    /// <summary>False on a store that has taken no order yet: the first products of the catalog stand in.</summary>
    public bool FromOrders { get; private set; }

    public IReadOnlyList<Category> Categories { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var count = options.Value.BestSellers;
        BestSellers = await catalog.GetBestSellersAsync(count, excludeProductId: null, cancellationToken);
        FromOrders = BestSellers.Count > 0;
        if (!FromOrders)
        {
            BestSellers = (await catalog.ListProductsAsync(categoryId: null, afterId: 0, count, cancellationToken)).Items;
        }

        Categories = await catalog.GetCategoriesAsync(cancellationToken);
    }
}
