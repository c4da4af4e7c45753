using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Cart;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Recommendations;

namespace ScaleShop.Storefront.Web.Pages.Products;

/// <summary>
/// A product: details and stock from the catalog cache, and "customers also bought" from the recommendations
/// service, asked at the same time and awaited last, within that client's own timeout. When the service is slow or
/// down the section is left out (never the page), and the page's cached copy is kept only briefly.
/// </summary>
[OutputCache(PolicyName = WebExtensions.PageCachePolicy)]
public sealed class ProductModel(
    CatalogService catalog, RecommendationService recommendations, CartService cart, IOptions<WebOptions> options, ILogger<ProductModel> logger) : StorefrontPage
{
    public Product Product { get; private set; } = null!;

    public Category? Category { get; private set; }

    public IReadOnlyList<ProductSummary> AlsoBought { get; private set; } = [];

    public string AlsoBoughtTitle { get; private set; } = "";

    public int Quantity { get; private set; } = 1;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(long id, string? quantity, CancellationToken cancellationToken)
    {
        if (Shopper is not { } shopper)
        {
            return Challenge(WebExtensions.CookieScheme);
        }

        // The form adds to what the cart holds; the cart stores a line's quantity and judges it (the API's messages).
        var adding = ParseQuantity(quantity);
        var target = adding;
        if (adding is >= 1)
        {
            target += (await cart.GetAsync(shopper, cancellationToken)).Items.FirstOrDefault(i => i.ProductId == id)?.Quantity ?? 0;
        }

        switch (await cart.SetQuantityAsync(shopper, id, target, cancellationToken))
        {
            case CartChangeOutcome.Changed:
                return Redirect("/cart");
            case CartChangeOutcome.Invalid invalid:
                ShowErrors(invalid.Errors);
                break;
            case CartChangeOutcome.UnknownProduct:
                return NotFound();
        }

        Quantity = adding ?? 1;
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        var recommended = RecommendAsync(id, cancellationToken);
        if (await catalog.GetProductAsync(id, cancellationToken) is not { } product)
        {
            return false;
        }

        Product = product;
        Category = (await catalog.GetCategoriesAsync(cancellationToken)).FirstOrDefault(c => c.Id == product.CategoryId);
        TagCachedPage(CatalogService.ProductTag(id));
        if (await recommended is { } answer)
        {
            (AlsoBought, AlsoBoughtTitle) = (answer.Items, TitleFor(answer.Source));
        }
        else
        {
            ShortenCachedPage(options.Value.OutputCaching.DegradedPageDuration);
        }

        return true;
    }

    /// <summary>The service's answer, or null when it did not give one in time (its fallback is not shown on this page).</summary>
    private async Task<RecommendationOutcome.Recommended?> RecommendAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            return await recommendations.RecommendAsync(Shopper?.Value, id, options.Value.AlsoBought, cancellationToken) is RecommendationOutcome.Recommended answer
                && answer.Source != RecommendationService.FallbackSource && answer.Items.Count > 0
                ? answer
                : null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Optional content: whatever goes wrong with it, the product is still shown.
            logger.LogWarning(exception, "Recommendations for product {ProductId} failed; the page is shown without them", id);
            return null;
        }
    }

    private static string TitleFor(string source) => source switch
    {
        "related" => "Customers also bought",
        "personalized" => "Picked for you",
        _ => "Popular right now",
    };
}
