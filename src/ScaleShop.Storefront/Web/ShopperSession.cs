using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ScaleShop.Storefront.Web;

/// <summary>
/// Signs a shopper in and out of the web storefront with the session cookie. The cookie carries the same subject
/// claim as an API token (the user's id, which names their shard), so every service reads the user the same way.
/// </summary>
public static class ShopperSession
{
    public const string SubjectClaim = JwtRegisteredClaimNames.Sub;
    public const string DisplayNameClaim = "name";

    public static Task SignInShopperAsync(this HttpContext context, string userId, string displayName)
    {
        var identity = new ClaimsIdentity(
            [new Claim(SubjectClaim, userId), new Claim(DisplayNameClaim, displayName)],
            WebExtensions.CookieScheme, DisplayNameClaim, roleType: null);
        return context.SignInAsync(WebExtensions.CookieScheme, new ClaimsPrincipal(identity));
    }

    public static Task SignOutShopperAsync(this HttpContext context) => context.SignOutAsync(WebExtensions.CookieScheme);
}
