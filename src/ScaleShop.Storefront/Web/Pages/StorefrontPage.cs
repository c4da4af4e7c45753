using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.OutputCaching;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Web.Pages;

/// <summary>What every page of the storefront shares: the shopper, the API's validation messages next to fields, and cache tags.</summary>
public abstract class StorefrontPage : PageModel
{
    /// <summary>The signed-in shopper's id (which names their shard), or null.</summary>
    protected ShardedId? Shopper => User.UserId();

    /// <summary>A message for the whole form, not one field.</summary>
    public string? FormError { get; protected set; }

    /// <summary>
    /// The domain's validation errors next to the fields they name: the same messages the API returns as problem
    /// details, under this form's field names (the API's JSON names mapped by <paramref name="fields"/>).
    /// </summary>
    protected void ShowErrors(ValidationErrors errors, IReadOnlyDictionary<string, string>? fields = null)
    {
        foreach (var (field, messages) in errors.ToDictionary())
        {
            var key = fields is not null && fields.TryGetValue(field, out var mapped) ? mapped : field;
            foreach (var message in messages)
            {
                ModelState.AddModelError(key, message);
            }
        }
    }

    /// <summary>The first error shown for <paramref name="field"/>, or null.</summary>
    public string? ErrorOf(string field) => ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    /// <summary>Tags this page's cached copy with what can change it, so changing that evicts the page on every instance.</summary>
    protected void TagCachedPage(params string[] tags)
    {
        if (HttpContext.Features.Get<IOutputCacheFeature>() is { } cache)
        {
            foreach (var tag in tags)
            {
                cache.Context.Tags.Add(tag);
            }
        }
    }

    /// <summary>Keeps this page's cached copy for <paramref name="duration"/> only (it was rendered without an optional part).</summary>
    protected void ShortenCachedPage(TimeSpan duration)
    {
        if (HttpContext.Features.Get<IOutputCacheFeature>() is { } cache)
        {
            cache.Context.ResponseExpirationTimeSpan = duration;
        }
    }

    /// <summary>A typed quantity as the cart judges it: a number, or null for anything else (the cart's message says what is allowed).</summary>
    protected static int? ParseQuantity(string? typed) =>
        int.TryParse(typed, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var quantity) ? quantity : null;

    /// <summary>The header's cart link shows the item count on pages that have read the cart anyway.</summary>
    protected void ShowCartCount(ScaleShop.Storefront.Cart.CartView cart) => ViewData["CartCount"] = cart.Items.Sum(i => i.Quantity);

    /// <summary>A local address to go back to after signing in; anything else goes home (no open redirect).</summary>
    protected string LocalOrHome(string? returnUrl) => !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
