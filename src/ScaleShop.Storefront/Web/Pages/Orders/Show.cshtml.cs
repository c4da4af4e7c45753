using Microsoft.AspNetCore.Mvc;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Orders;

namespace ScaleShop.Storefront.Web.Pages.Orders;

public sealed class OrderModel(OrderStore orders) : StorefrontPage
{
    public Order Order { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        // Another shopper's order and a made-up id look the same: not found.
        if (!ShardedId.TryParse(id, out var orderId) || await orders.GetAsync(Shopper!.Value, orderId, cancellationToken) is not { } order)
        {
            return NotFound();
        }

        Order = order;
        return Page();
    }
}
