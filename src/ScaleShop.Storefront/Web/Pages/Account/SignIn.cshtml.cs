using Microsoft.AspNetCore.Mvc;
using ScaleShop.Storefront.Accounts;

namespace ScaleShop.Storefront.Web.Pages.Account;

public sealed class SignInModel(AccountService accounts) : StorefrontPage
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var errors = AccountService.ValidateSignIn(Email, Password);
        if (!errors.IsEmpty)
        {
            ShowErrors(errors, new Dictionary<string, string> { ["email"] = nameof(Email), ["password"] = nameof(Password) });
            return Page();
        }

        if (await accounts.AuthenticateAsync(Email, Password, cancellationToken) is not { } account)
        {
            FormError = AccountService.SignInFailedMessage;
            return Page();
        }

        await HttpContext.SignInShopperAsync(account.Id.ToString(), account.DisplayName);
        return LocalRedirect(LocalOrHome(ReturnUrl));
    }
}
