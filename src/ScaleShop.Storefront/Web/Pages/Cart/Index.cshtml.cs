using Microsoft.AspNetCore.Mvc;
using ScaleShop.Storefront.Cart;

namespace ScaleShop.Storefront.Web.Pages.Cart;

/// <summary>The cart: change a line's quantity or remove it; each change redirects back here (no form resent on reload).</summary>
public sealed class CartModel(CartService cart) : StorefrontPage
{
    public CartView Cart { get; private set; } = new([], 0, "");

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostQuantityAsync(long productId, string? quantity, CancellationToken cancellationToken)
    {
        switch (await cart.SetQuantityAsync(Shopper!.Value, productId, ParseQuantity(quantity), cancellationToken))
        {
            case CartChangeOutcome.Changed:
                return RedirectToPage();
            case CartChangeOutcome.Invalid invalid:
                ShowErrors(invalid.Errors, new Dictionary<string, string> { ["quantity"] = $"quantity-{productId}" });
                break;
            case CartChangeOutcome.UnknownProduct unknown:
                FormError = $"There is no product {unknown.ProductId}.";
                break;
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(long productId, CancellationToken cancellationToken)
    {
        await cart.RemoveAsync(Shopper!.Value, productId, cancellationToken);
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Cart = await cart.GetAsync(Shopper!.Value, cancellationToken);
        ShowCartCount(Cart);
    }
}
