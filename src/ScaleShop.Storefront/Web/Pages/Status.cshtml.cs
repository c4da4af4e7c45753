namespace ScaleShop.Storefront.Web.Pages;

/// <summary>
/// The page a browser sees for a status without a body of its own (a product that does not exist, a form posted
/// without its antiforgery token). It is re-executed with the failed request's method, so it answers POST too, and
/// checks no token itself (the token is what failed).
/// </summary>
[Microsoft.AspNetCore.Mvc.IgnoreAntiforgeryToken]
public sealed class StatusModel : StorefrontPage
{
    public string Title { get; private set; } = "";

    public string Message { get; private set; } = "";

    public void OnPost(int code) => OnGet(code);

    public void OnGet(int code) => (Title, Message) = code switch
    {
        StatusCodes.Status404NotFound => ("Not found", "There is nothing at this address. It may have been removed, or the link is wrong."),
        StatusCodes.Status400BadRequest => ("Bad request", "This form could not be accepted (it may have expired). Go back, reload the page and try again."),
        _ => ("Something went wrong", "The page could not be shown. Please try again in a moment."),
    };
}
