using Microsoft.AspNetCore.Mvc;

namespace ScaleShop.Storefront.Web.Pages.Account;

/// <summary>Signing out is a POST with an antiforgery token (a link or image elsewhere cannot sign anyone out); GET shows the button.</summary>
public sealed class SignOutModel : StorefrontPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutShopperAsync();
        return LocalRedirect("/");
    }
}
