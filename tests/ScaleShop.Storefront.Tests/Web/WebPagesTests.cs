using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests.Web;

/// <summary>
/// The web storefront over real HTTP, below the browser: output caching of anonymous pages and its eviction by tag,
/// cookie sign-in kept apart from the API's bearer tokens, antiforgery on every form, the API's own validation
/// messages next to the fields, one order per checkout page, fingerprinted static assets.
/// </summary>
public sealed partial class WebPagesTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    private const string Password = "web-password-1";

    /// <summary>A client that keeps cookies and shows redirects (as a browser's network log would), on the fixture's Kestrel address.</summary>
    private HttpClient Browser() => Browser(app, new CookieContainer());

    private static HttpClient Browser(StorefrontApp instance, CookieContainer cookies)
    {
        using var probe = instance.Anonymous();
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies }) { BaseAddress = probe.BaseAddress };
    }

    [Fact]
    public async Task An_anonymous_product_page_is_served_from_the_output_cache_until_an_admin_changes_the_product()
    {
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        using var browser = Browser();

        var first = await browser.GetAsync($"/products/{productId}", ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.DoesNotContain(first.Headers, h => h.Key == "Set-Cookie");
        var page = await first.Content.ReadAsStringAsync(ct);
        Assert.DoesNotContain("__RequestVerificationToken", page, StringComparison.Ordinal); // nothing personal in a shared copy
        Assert.Contains("id=\"sign-in-to-buy\"", page, StringComparison.Ordinal);

        var second = await browser.GetAsync($"/products/{productId}", ct);
        Assert.True(second.Headers.Age is not null, "the second anonymous request was not served from the output cache (no Age header)");
        Assert.Equal(page, await second.Content.ReadAsStringAsync(ct));

        var newName = $"Renamed {Guid.NewGuid():N}";
        using var admin = await app.AdminAsync();
        (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { name = newName }, ct)).EnsureSuccessStatusCode();

        var afterChange = await browser.GetAsync($"/products/{productId}", ct);
        Assert.Null(afterChange.Headers.Age);
        Assert.Contains(newName, await afterChange.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_in_shopper_gets_pages_of_their_own_that_are_never_cached_and_the_cookie_does_not_open_the_api()
    {
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        using var anonymous = Browser();
        (await anonymous.GetAsync($"/products/{productId}", ct)).EnsureSuccessStatusCode(); // a cached anonymous copy exists

        using var shopper = Browser();
        var name = $"Shopper {Guid.NewGuid():N}"[..20];
        await SignUpAsync(shopper, NewEmail(), name, ct);
        var page = await shopper.GetAsync($"/products/{productId}", ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Null(page.Headers.Age);
        Assert.Contains(name, html, StringComparison.Ordinal);
        Assert.Contains("id=\"add-to-cart\"", html, StringComparison.Ordinal);
        Assert.Contains("__RequestVerificationToken", html, StringComparison.Ordinal);

        // The API authenticates bearer tokens only: a browser's cookie cannot be ridden by another site's form.
        Assert.Equal(HttpStatusCode.Unauthorized, (await shopper.GetAsync("/api/v1/cart", ct)).StatusCode);
        // Pages that are the shopper's own send an anonymous visitor to sign in, and back.
        var cart = await anonymous.GetAsync("/cart", ct);
        Assert.Equal(HttpStatusCode.Redirect, cart.StatusCode);
        Assert.Equal("/account/sign-in?returnUrl=%2Fcart", cart.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused_and_changes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        using var shopper = Browser();
        await SignUpAsync(shopper, NewEmail(), "Forgery Target", ct);

        var forged = await shopper.PostAsync($"/products/{productId}", new FormUrlEncodedContent(new Dictionary<string, string> { ["quantity"] = "1" }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("could not be accepted", await forged.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        var cart = await (await shopper.GetAsync("/cart", ct)).Content.ReadAsStringAsync(ct);
        Assert.Contains("id=\"cart-empty\"", cart, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_up_errors_are_the_apis_own_messages_next_to_each_field_and_create_no_account()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = Browser();
        var form = await (await browser.GetAsync("/account/sign-up", ct)).Content.ReadAsStringAsync(ct);
        var response = await browser.PostAsync("/account/sign-up", Form(form, new()
        {
            ["Email"] = "not-an-email",
            ["Password"] = "abc",
            ["DisplayName"] = "",
        }), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(ct);

        using var api = app.Anonymous();
        var problem = await api.PostAsJsonAsync("/api/v1/accounts", new { email = "not-an-email", password = "abc", displayName = "" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
        var errors = (await problem.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("errors");
        foreach (var (field, id) in new[] { ("email", "email"), ("password", "password"), ("displayName", "display-name") })
        {
            var message = WebUtility.HtmlEncode(errors.GetProperty(field)[0].GetString()!);
            Assert.Contains($"id=\"{id}-error\" role=\"alert\">{message}</p>", html, StringComparison.Ordinal);
            Assert.Matches($"id=\"{id}\"[^>]*aria-invalid=\"true\"", html);
        }

        Assert.Contains("value=\"not-an-email\"", html, StringComparison.Ordinal); // what was typed is kept
        Assert.DoesNotContain("scaleshop.session", string.Join(";", response.Headers.Where(h => h.Key == "Set-Cookie").SelectMany(h => h.Value)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkout_page_sent_twice_places_one_order_and_the_history_shows_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        using var shopper = Browser();
        await SignUpAsync(shopper, NewEmail(), "Double Clicker", ct);
        var product = await (await shopper.GetAsync($"/products/{productId}", ct)).Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.Redirect, (await shopper.PostAsync($"/products/{productId}", Form(product, new() { ["quantity"] = "2" }), ct)).StatusCode);

        var checkout = await (await shopper.GetAsync("/checkout", ct)).Content.ReadAsStringAsync(ct);
        var first = await shopper.PostAsync("/checkout", Form(checkout, []), ct);
        var second = await shopper.PostAsync("/checkout", Form(checkout, []), ct);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);

        var order = await (await shopper.GetAsync(first.Headers.Location!.OriginalString, ct)).Content.ReadAsStringAsync(ct);
        Assert.Matches("id=\"order-status\" data-status=\"(confirmed|pending_payment)\"", order);
        Assert.Contains($"<tr data-product-id=\"{productId}\">", order, StringComparison.Ordinal);
        var history = await (await shopper.GetAsync("/orders", ct)).Content.ReadAsStringAsync(ct);
        Assert.Single(OrderLink().Matches(history));
        Assert.Contains($"href=\"{first.Headers.Location.OriginalString}\"", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_and_a_form_from_one_instance_are_honoured_by_another_that_shares_its_databases()
    {
        // Behind the gateway consecutive requests land on different instances (and on two versions mid-deploy): the
        // cookie and the antiforgery token are sealed with the key ring in the catalog database, not one per process.
        var ct = TestContext.Current.CancellationToken;
        var productId = StorefrontApp.TakeProductId();
        await using var other = new StorefrontApp(app.DataDirectory, payments: app.Payments, recommendations: app.Recommendations);
        await other.InitializeAsync();
        var cookies = new CookieContainer(); // cookies belong to the host, not the port: one browser, two instances
        using var first = Browser(app, cookies);
        using var second = Browser(other, cookies);

        await SignUpAsync(first, NewEmail(), "Two Instances", ct);
        var form = await (await first.GetAsync($"/products/{productId}", ct)).Content.ReadAsStringAsync(ct);
        var added = await second.PostAsync($"/products/{productId}", Form(form, new() { ["quantity"] = "1" }), ct);
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Equal("/cart", added.Headers.Location!.OriginalString);

        var cart = await (await second.GetAsync("/cart", ct)).Content.ReadAsStringAsync(ct);
        Assert.Contains("Two Instances", cart, StringComparison.Ordinal);
        Assert.Contains($"<tr data-product-id=\"{productId}\">", cart, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Static_assets_have_content_hashed_urls_cached_for_good_and_revalidated_by_etag()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = Browser();
        var home = await (await browser.GetAsync("/", ct)).Content.ReadAsStringAsync(ct);
        var stylesheet = StylesheetLink().Match(home);
        Assert.True(stylesheet.Success, "the layout links no fingerprinted stylesheet");

        var css = await browser.GetAsync(stylesheet.Groups["url"].Value, ct);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        Assert.True(css.Headers.CacheControl is { MaxAge.TotalDays: >= 365 }, $"Cache-Control was {css.Headers.CacheControl}");
        Assert.Contains("immutable", css.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.NotNull(css.Headers.ETag);

        using var revalidation = new HttpRequestMessage(HttpMethod.Get, stylesheet.Groups["url"].Value);
        revalidation.Headers.IfNoneMatch.Add(css.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await browser.SendAsync(revalidation, ct)).StatusCode);
    }

    [Fact]
    public async Task Unknown_pages_get_a_page_and_the_api_keeps_its_problem_details()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = Browser();
        var page = await browser.GetAsync("/products/999999999", ct);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Not found", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        var api = await browser.GetAsync("/api/v1/products/999999999", ct);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
    }

    private static string NewEmail() => $"web-{Guid.NewGuid():N}@tests.scaleshop.test";

    private static async Task SignUpAsync(HttpClient browser, string email, string displayName, CancellationToken ct)
    {
        var form = await (await browser.GetAsync("/account/sign-up", ct)).Content.ReadAsStringAsync(ct);
        var response = await browser.PostAsync("/account/sign-up", Form(form, new() { ["Email"] = email, ["Password"] = Password, ["DisplayName"] = displayName }), ct);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-up answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    /// <summary>A form post as the browser sends it: the page's antiforgery token and hidden fields, then the fields typed.</summary>
    private static FormUrlEncodedContent Form(string page, Dictionary<string, string> typed)
    {
        var fields = HiddenInput().Matches(page).Select(m => (m.Groups["name"].Value, WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .GroupBy(f => f.Item1).ToDictionary(g => g.Key, g => g.First().Item2);
        foreach (var (name, value) in typed)
        {
            fields[name] = value;
        }

        return new FormUrlEncodedContent(fields);
    }

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"|<input[^>]*name=\"(?<name>[^\"]+)\"[^>]*type=\"hidden\"[^>]*value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<link rel=\"stylesheet\" href=\"(?<url>/css/site\\.[a-z0-9]+\\.css)\"")]
    private static partial Regex StylesheetLink();

    [GeneratedRegex("<a href=\"/orders/\\d+\">")]
    private static partial Regex OrderLink();
}
