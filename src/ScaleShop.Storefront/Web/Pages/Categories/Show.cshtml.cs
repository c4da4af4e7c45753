using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Web.Pages.Categories;

[OutputCache(PolicyName = WebExtensions.PageCachePolicy)]
public sealed class CategoryModel(CatalogService catalog, IOptions<WebOptions> options) : StorefrontPage
{
    public Category Category { get; private set; } = null!;

    public IReadOnlyList<ProductSummary> Products { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, string? after, CancellationToken cancellationToken)
    {
        if ((await catalog.GetCategoriesAsync(cancellationToken)).FirstOrDefault(c => c.Id == id) is not { } category)
        {
            return NotFound();
        }

        // A cursor this page did not hand out starts the list from the top rather than failing the page.
        var afterId = Cursor.TryDecodeId(after, out var read) ? read : 0;
        var page = await catalog.ListProductsAsync(id, afterId, options.Value.PageSize, cancellationToken);
        (Category, Products, Next) = (category, page.Items, page.Next);
        TagCachedPage(CatalogService.CategoryTag(id));
        return Page();
    }
}
