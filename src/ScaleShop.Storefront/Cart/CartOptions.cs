using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Cart;

/// <summary>Cart limits (section <c>Cart</c>): bounded so one user cannot grow a row set without end.</summary>
public sealed class CartOptions
{
    public const string SectionName = "Cart";

    [Range(1, 1000)]
    public int MaxLines { get; set; } = 50;

    [Range(1, 10_000)]
    public int MaxQuantityPerLine { get; set; } = 100;
}

[OptionsValidator]
public sealed partial class CartOptionsValidator : IValidateOptions<CartOptions>;
