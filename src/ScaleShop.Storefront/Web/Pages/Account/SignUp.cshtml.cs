using Microsoft.AspNetCore.Mvc;
using ScaleShop.Storefront.Accounts;

namespace ScaleShop.Storefront.Web.Pages.Account;

public sealed class SignUpModel(AccountService accounts) : StorefrontPage
{
    /// <summary>The API's field names → this form's.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["email"] = nameof(Email),
        ["password"] = nameof(Password),
        ["displayName"] = nameof(DisplayName),
    };

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        switch (await accounts.RegisterAsync(Email, Password, DisplayName, cancellationToken))
        {
            case RegistrationOutcome.Registered registered:
                await HttpContext.SignInShopperAsync(registered.Account.Id, registered.Account.DisplayName);
                return LocalRedirect(LocalOrHome(ReturnUrl));
            case RegistrationOutcome.Invalid invalid:
                ShowErrors(invalid.Errors, Fields);
                return Page();
            default:
                ModelState.AddModelError(nameof(Email), AccountService.EmailTakenMessage);
                return Page();
        }
    }
}
