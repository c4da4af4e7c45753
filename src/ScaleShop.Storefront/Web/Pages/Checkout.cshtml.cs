using Microsoft.AspNetCore.Mvc;
using ScaleShop.Storefront.Cart;
using ScaleShop.Storefront.Orders;

namespace ScaleShop.Storefront.Web.Pages;

/// <summary>
/// One page: the cart's lines and a button. The order is placed with an idempotency key the page was rendered with,
/// so a double press or a resent form is one order; the shopper lands on the order's page, which says whether it is
/// confirmed or waiting for the payment provider (it is settled in the background then).
/// </summary>
public sealed class CheckoutModel(CartService cart, OrderService orders) : StorefrontPage
{
    public CartView Cart { get; private set; } = new([], 0, "");

    public string IdempotencyKey { get; private set; } = NewKey();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(string? idempotencyKey, CancellationToken cancellationToken)
    {
        var outcome = await orders.PlaceAsync(Shopper!.Value, idempotencyKey, new OrderRequest([], FromCart: true), cancellationToken);
        switch (outcome)
        {
            case PlaceOrderOutcome.Placed placed:
                return Redirect($"/orders/{placed.Order.Id}");
            case PlaceOrderOutcome.Invalid invalid:
                FormError = string.Join(" ", invalid.Errors.ToDictionary().SelectMany(e => e.Value));
                break;
            case PlaceOrderOutcome.InsufficientStock shortage:
                FormError = $"Product {shortage.ProductId} has {shortage.Available} in stock; {shortage.Requested} requested. Change the quantity in your cart.";
                break;
            case PlaceOrderOutcome.StillInProgress:
                // The same key again: pressing the button once more joins the order already being placed.
                FormError = "Your order is still being placed. Press the button again in a moment.";
                IdempotencyKey = idempotencyKey!;
                break;
            case PlaceOrderOutcome.KeyReusedForAnotherRequest:
                FormError = "This checkout page was already used for another order. Check your orders, then try again.";
                break;
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Cart = await cart.GetAsync(Shopper!.Value, cancellationToken);
        ShowCartCount(Cart);
    }

    private static string NewKey() => "web-" + Guid.NewGuid().ToString("N");
}
