using Microsoft.Extensions.Options;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Cart;

public sealed record CartItemView(long ProductId, string Name, int Quantity, decimal UnitPrice);

public sealed record CartView(IReadOnlyList<CartItemView> Items, decimal Total, string Currency);

public abstract record CartChangeOutcome
{
    public sealed record Changed(CartView Cart) : CartChangeOutcome;

    public sealed record Invalid(ValidationErrors Errors) : CartChangeOutcome;

    public sealed record UnknownProduct(long ProductId) : CartChangeOutcome;
}

/// <summary>The cart: lines from the user's shard, names and current prices from the (cached) catalog.</summary>
public sealed class CartService(CartStore store, CatalogService catalog, IOptions<CartOptions> options)
{
    public const string DefaultCurrency = "USD";

    public async Task<CartView> GetAsync(ShardedId userId, CancellationToken cancellationToken)
    {
        var lines = await store.GetLinesAsync(userId, cancellationToken);
        var items = new List<CartItemView>(lines.Count);
        long totalCents = 0;
        var currency = DefaultCurrency;
        foreach (var line in lines)
        {
            if (await catalog.GetProductAsync(line.ProductId, cancellationToken) is not { } product)
            {
                continue;
            }

            items.Add(new CartItemView(product.Id, product.Name, line.Quantity, product.Price));
            totalCents += (long)(product.Price * 100m) * line.Quantity;
            currency = product.Currency;
        }

        return new CartView(items, Money.FromCents(totalCents), currency);
    }

    public async Task<CartChangeOutcome> SetQuantityAsync(ShardedId userId, long productId, int? quantity, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        if (quantity is null || quantity < 1 || quantity > limits.MaxQuantityPerLine)
        {
            return new CartChangeOutcome.Invalid(ValidationErrors.For("quantity", $"quantity must be between 1 and {limits.MaxQuantityPerLine}."));
        }

        if (await catalog.GetProductAsync(productId, cancellationToken) is null)
        {
            return new CartChangeOutcome.UnknownProduct(productId);
        }

        if (!await store.SetQuantityAsync(userId, productId, quantity.Value, limits.MaxLines, cancellationToken))
        {
            return new CartChangeOutcome.Invalid(ValidationErrors.For("productId", $"A cart holds at most {limits.MaxLines} different products."));
        }

        return new CartChangeOutcome.Changed(await GetAsync(userId, cancellationToken));
    }

    public async Task<CartView> RemoveAsync(ShardedId userId, long productId, CancellationToken cancellationToken)
    {
        await store.RemoveAsync(userId, productId, cancellationToken);
        return await GetAsync(userId, cancellationToken);
    }
}
