using System.Globalization;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Orders;

namespace ScaleShop.Storefront.Web.Pages.Orders;

public sealed class OrdersModel(OrderStore orders, IOptions<WebOptions> options) : StorefrontPage
{
    public IReadOnlyList<Order> Orders { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task OnGetAsync(string? after, CancellationToken cancellationToken)
    {
        var size = options.Value.OrdersPageSize;
        var beforeId = Cursor.TryDecodeId(after, out var read) ? read : long.MaxValue;
        var rows = await orders.ListAsync(Shopper!.Value, beforeId, size + 1, cancellationToken);
        Orders = rows.Take(size).ToList();
        Next = rows.Count > size ? Uri.EscapeDataString(Cursor.Encode(long.Parse(rows[size - 1].Id, CultureInfo.InvariantCulture))) : null;
    }
}
