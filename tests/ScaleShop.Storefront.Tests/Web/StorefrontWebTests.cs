using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests.Web;

/// <summary>
/// The server-rendered shop (Razor Pages under <c>Web/</c>) in headless Chromium against a real storefront
/// process: a shopper's whole journey through real forms, what a refused sign-up shows, and a product page with
/// the recommendations service stopped. Every page is checked for console errors and failed loads, and leaves a
/// screenshot (<c>web-&lt;page&gt;.png</c>).
/// </summary>
public sealed partial class StorefrontWebTests : RealProcessTest
{
    // A laptop screen.
    private const int ViewportWidth = 1280;
    private const int ViewportHeight = 900;
    private static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);
    // Projections and the recommendations feed are eventually consistent: seconds, far less than this.
    private static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(30);
    private const string Password = "web-journey-password";
    private static readonly int[] ItemsOrLines = [4, 2];
    private static readonly string[] Placed = ["confirmed", "pending_payment"];

    [Fact]
    public async Task A_new_shopper_signs_up_searches_browses_fills_a_cart_and_places_an_order()
    {
        await RunInBrowserAsync("journey", async (storefront, page, ct) =>
        {
            using var api = new HttpClient { BaseAddress = storefront.Address };
            var categories = (await (await api.GetAsync("/api/v1/categories", ct)).ReadAsync<ItemsDto<CategoryDto>>()).Items;
            var searched = (await (await api.GetAsync("/api/v1/products?limit=3", ct)).ReadAsync<PageDto<ProductDto>>()).Items[^1];
            var expectedFirstResult = (await (await api.GetAsync($"/api/v1/search?q={Uri.EscapeDataString(searched.Name)}&limit=5", ct))
                .ReadAsync<PageDto<ProductDto>>()).Items[0];

            // Home, anonymous.
            await NavigateAsync(page, storefront, "/", ct);
            await AssertPageAsync(page, await page.UrlAsync(ct), "^/$", signedIn: false, ct);
            var bestSellers = await page.HrefsAsync("section#best-sellers a.product", ct);
            Assert.NotEmpty(bestSellers);
            Assert.All(bestSellers, href => Assert.Matches(ProductHref(), href));
            var categoryLinks = await page.HrefsAsync("nav#categories a", ct);
            Assert.NotEmpty(categoryLinks);
            Assert.All(categoryLinks, href => Assert.Matches(CategoryHref(), href));
            await ScreenshotAsync(page, "home", ct);

            // Sign up.
            var url = await page.ClickAndWaitForNavigationAsync("a#sign-up", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/account/sign-up$", signedIn: false, ct);
            await AssertPostFormAsync(page, "form#sign-up", ct);
            await ScreenshotAsync(page, "sign-up", ct);
            var email = $"web-{Guid.NewGuid():N}@example.com";
            await page.FillAsync("#email", email, ct);
            await page.FillAsync("#password", Password, ct);
            await page.FillAsync("#display-name", "Web Shopper", ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#sign-up", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/$", signedIn: true, ct);
            using var shopper = await storefront.SignedInAsync(email, Password, ct); // the same account, through the API

            // Search for a product by its name; the first result is the API's first.
            await page.FillAsync("#q", searched.Name, ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#search-form", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/search$", signedIn: true, ct);
            Assert.Equal(searched.Name, QueryValue(url, "q"));
            var results = await page.HrefsAsync("ul#results li a.product", ct);
            Assert.True(results.Count > 0, $"No result for '{searched.Name}' (p#no-results: {await page.TextAsync("p#no-results", ct)}).");
            Assert.Equal($"/products/{expectedFirstResult.Id}", results[0]);
            Assert.Contains($"/products/{searched.Id}", results);
            Assert.Equal(0, await page.CountAsync("p#no-results", ct));
            await ScreenshotAsync(page, "search", ct);

            // The first result's page; add one to the cart.
            url = await page.ClickAndWaitForNavigationAsync("ul#results li a.product", PageTimeout, ct);
            await AssertPageAsync(page, url, ProductHref().ToString(), signedIn: true, ct);
            var first = await shopper.GetProductAsync(ProductId(url.AbsolutePath));
            await AssertProductPageAsync(page, first, ct);
            Assert.Equal(0, await page.CountAsync("a#sign-in-to-buy", ct));
            await AssertPostFormAsync(page, "form#add-to-cart", ct);
            Assert.Equal("1", await ValueAsync(page, "form#add-to-cart input#quantity[name=quantity]", ct));
            await ScreenshotAsync(page, "product", ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#add-to-cart", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/cart$", signedIn: true, ct);
            Assert.Equal(1, await page.CountAsync($"table#cart tbody tr[data-product-id=\"{first.Id}\"]", ct));
            Assert.Equal(1, await CartLinkCountAsync(page, ct));

            // Home, a category (and its next page when it has one), a second product from it.
            url = await page.ClickAndWaitForNavigationAsync("a#home", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/$", signedIn: true, ct);
            url = await page.ClickAndWaitForNavigationAsync("nav#categories a", PageTimeout, ct);
            await AssertPageAsync(page, url, CategoryHref().ToString(), signedIn: true, ct);
            var categoryId = long.Parse(url.AbsolutePath["/categories/".Length..], CultureInfo.InvariantCulture);
            Assert.Equal(categories.Single(c => c.Id == categoryId).Name, await page.TextAsync("main#main h1", ct));
            var inCategory = (await (await api.GetAsync($"/api/v1/products?categoryId={categoryId}&limit=100", ct)).ReadAsync<PageDto<ProductDto>>())
                .Items.Select(p => $"/products/{p.Id}").ToHashSet();
            var listed = await page.HrefsAsync("ul#products li a.product", ct);
            Assert.NotEmpty(listed);
            Assert.All(listed, href => Assert.Contains(href, inCategory));
            await ScreenshotAsync(page, "category", ct);
            if (listed.Count < inCategory.Count)
            {
                Assert.Equal("next", await page.AttributeAsync("a#next-page", "rel", ct));
                Assert.StartsWith($"/categories/{categoryId}?after=", await page.AttributeAsync("a#next-page", "href", ct));
                url = await page.ClickAndWaitForNavigationAsync("a#next-page", PageTimeout, ct);
                await AssertPageAsync(page, url, $"^/categories/{categoryId}$", signedIn: true, ct);
                var nextPage = await page.HrefsAsync("ul#products li a.product", ct);
                Assert.NotEmpty(nextPage);
                Assert.All(nextPage, href => Assert.Contains(href, inCategory));
                Assert.Empty(nextPage.Intersect(listed));
                listed = nextPage;
            }

            var secondHref = listed.First(href => href != $"/products/{first.Id}");
            url = await page.ClickAndWaitForNavigationAsync($"ul#products li a.product[href=\"{secondHref}\"]", PageTimeout, ct);
            await AssertPageAsync(page, url, $"^{secondHref}$", signedIn: true, ct);
            var second = await shopper.GetProductAsync(ProductId(url.AbsolutePath));
            await AssertProductPageAsync(page, second, ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#add-to-cart", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/cart$", signedIn: true, ct);
            Assert.Equal(2, await page.CountAsync("table#cart tbody tr", ct));
            Assert.Equal(2, await CartLinkCountAsync(page, ct));

            // Three of the first product, through its row's form.
            var firstRow = $"table#cart tbody tr[data-product-id=\"{first.Id}\"]";
            await AssertPostFormAsync(page, $"{firstRow} form.set-quantity", ct);
            await AssertPostFormAsync(page, $"{firstRow} form.remove", ct);
            await page.FillAsync($"{firstRow} form.set-quantity input[name=quantity]", "3", ct);
            url = await page.SubmitAndWaitForNavigationAsync($"{firstRow} form.set-quantity", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/cart$", signedIn: true, ct);
            var total = (3 * first.Price) + second.Price;
            Assert.Equal("3", await ValueAsync(page, $"{firstRow} form.set-quantity input[name=quantity]", ct));
            Assert.Equal("1", await ValueAsync(page, $"table#cart tbody tr[data-product-id=\"{second.Id}\"] form.set-quantity input[name=quantity]", ct));
            Assert.Equal(total, Money(await page.TextAsync("#cart-total", ct)));
            // "Includes the item count": four items, or two lines; both are a count of the cart.
            Assert.Contains(await CartLinkCountAsync(page, ct), ItemsOrLines);
            var cart = await (await shopper.GetAsync("/api/v1/cart", ct)).ReadAsync<CartDto>();
            Assert.Equal([(first.Id, 3), (second.Id, 1)], cart.Items.Select(i => (i.ProductId, i.Quantity)).OrderBy(i => i.ProductId != first.Id));
            Assert.Equal(total, cart.Total);
            Assert.Equal(0, await page.CountAsync("p#cart-empty", ct));
            await ScreenshotAsync(page, "cart", ct);

            // Checkout and the order.
            Assert.Equal("/checkout", await page.AttributeAsync("a#checkout", "href", ct));
            url = await page.ClickAndWaitForNavigationAsync("a#checkout", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/checkout$", signedIn: true, ct);
            Assert.Equal(total, Money(await page.TextAsync("#checkout-total", ct)));
            var checkoutText = await page.TextAsync("main#main", ct);
            Assert.Contains(first.Name, checkoutText);
            Assert.Contains(second.Name, checkoutText);
            await AssertPostFormAsync(page, "form#place-order", ct);
            await ScreenshotAsync(page, "checkout", ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#place-order", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/orders/[0-9]+$", signedIn: true, ct);
            var orderId = url.AbsolutePath["/orders/".Length..];
            Assert.Null(await page.TextAsync("#form-error", ct));
            await AssertOrderPageAsync(page, Placed, lines: 2, ct);
            var order = await (await shopper.GetAsync($"/api/v1/orders/{orderId}", ct)).ReadAsync<OrderDto>();
            Assert.Equal([(first.Id, 3), (second.Id, 1)], order.Items.Select(i => (i.ProductId, i.Quantity)).OrderBy(i => i.ProductId != first.Id));
            Assert.Equal(total, order.Total);
            await ScreenshotAsync(page, "order", ct);

            // The order in the list, and opened from it.
            Assert.Equal("/orders", await page.AttributeAsync("a#orders-link", "href", ct));
            url = await page.ClickAndWaitForNavigationAsync("a#orders-link", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/orders$", signedIn: true, ct);
            Assert.Equal(0, await page.CountAsync("p#no-orders", ct));
            Assert.Contains($"/orders/{orderId}", await page.HrefsAsync("ul#orders li a", ct));
            await ScreenshotAsync(page, "orders", ct);
            url = await page.ClickAndWaitForNavigationAsync($"ul#orders li a[href=\"/orders/{orderId}\"]", PageTimeout, ct);
            await AssertPageAsync(page, url, $"^/orders/{orderId}$", signedIn: true, ct);
            await AssertOrderPageAsync(page, Placed, lines: 2, ct);

            // The checkout emptied the cart.
            url = await page.ClickAndWaitForNavigationAsync("a#cart-link", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/cart$", signedIn: true, ct);
            Assert.Equal(1, await page.CountAsync("p#cart-empty", ct));
            Assert.Equal(0, await page.CountAsync("table#cart tbody tr", ct));

            // Signed out, the cart asks for a sign-in, which comes back to it when the sign-in page was told where to.
            url = await page.SubmitAndWaitForNavigationAsync("form#sign-out", PageTimeout, ct);
            await AssertPageAsync(page, url, ".", signedIn: false, ct);
            await NavigateAsync(page, storefront, "/cart", ct);
            url = await page.UrlAsync(ct);
            await AssertPageAsync(page, url, "^/account/sign-in$", signedIn: false, ct);
            await AssertPostFormAsync(page, "form#sign-in", ct);
            await ScreenshotAsync(page, "sign-in", ct);
            var comesBack = url.Query.Contains("returnurl=", StringComparison.OrdinalIgnoreCase);
            await page.FillAsync("#email", email, ct);
            await page.FillAsync("#password", Password, ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#sign-in", PageTimeout, ct);
            await AssertPageAsync(page, url, comesBack ? "^/cart$" : "^/$", signedIn: true, ct);
        });
    }

    [Fact]
    public async Task A_refused_sign_up_shows_each_field_error_keeps_the_email_and_creates_no_account()
    {
        await RunInBrowserAsync("sign-up-errors", async (storefront, page, ct) =>
        {
            const string email = "not-an-email";
            const string password = "abc";
            using var api = new HttpClient { BaseAddress = storefront.Address };
            // What the API says of the same input: the page shows the same messages.
            var problem = await (await api.PostAsJsonAsync("/api/v1/accounts", new { email, password, displayName = "Web Tester" }, ct)).AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.NotNull(problem.Errors);

            await NavigateAsync(page, storefront, "/account/sign-up", ct);
            await AssertPageAsync(page, await page.UrlAsync(ct), "^/account/sign-up$", signedIn: false, ct);
            Assert.Equal(0, await page.CountAsync("#email-error, #password-error, #display-name-error, #form-error", ct));
            await page.FillAsync("#email", email, ct);
            await page.FillAsync("#password", password, ct);
            await page.FillAsync("#display-name", "Web Tester", ct);
            // The browser's own checks (type=email, minlength) would stop this form: the server's are under test.
            var url = await page.SubmitAndWaitForNavigationAsync("form#sign-up", PageTimeout, ct, skipBrowserValidation: true);
            await AssertRefusedFormAsync(page, url, "^/account/sign-up$", ct);

            var emailError = await page.TextAsync("#email-error", ct);
            var passwordError = await page.TextAsync("#password-error", ct);
            Assert.False(string.IsNullOrWhiteSpace(emailError), "No #email-error");
            Assert.False(string.IsNullOrWhiteSpace(passwordError), "No #password-error");
            Assert.Contains(problem.Errors["email"][0], emailError);
            Assert.Contains(problem.Errors["password"][0], passwordError);
            Assert.Equal(0, await page.CountAsync("#display-name-error", ct));
            Assert.Equal("true", await page.AttributeAsync("#email", "aria-invalid", ct));
            Assert.Equal("true", await page.AttributeAsync("#password", "aria-invalid", ct));
            Assert.NotEqual("true", await page.AttributeAsync("#display-name", "aria-invalid", ct));
            Assert.Equal(email, await ValueAsync(page, "#email", ct));
            await ScreenshotAsync(page, "sign-up-errors", ct);

            var signIn = await api.PostAsJsonAsync("/api/v1/sessions", new { email, password }, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);

            // A well-formed sign-up for an email already registered: the API names the field (email), so does the page.
            await page.FillAsync("#email", "user1@seed.scaleshop.test", ct);
            await page.FillAsync("#password", Password, ct);
            await page.FillAsync("#display-name", "Web Tester", ct);
            url = await page.SubmitAndWaitForNavigationAsync("form#sign-up", PageTimeout, ct);
            await AssertRefusedFormAsync(page, url, "^/account/sign-up$", ct);
            Assert.Equal("An account with this email already exists.", (await page.TextAsync("#email-error", ct))?.Trim());
            Assert.Equal("true", await page.AttributeAsync("#email", "aria-invalid", ct));
            Assert.Equal(0, await page.CountAsync("#password-error, #display-name-error", ct));
        });
    }

    [Fact]
    public async Task A_product_page_shows_customers_also_bought_and_still_renders_quickly_without_it_when_the_service_is_down()
    {
        await RunInBrowserAsync("recommendations", async (storefront, page, ct) =>
        {
            using var api = new HttpClient { BaseAddress = storefront.Address };
            var products = (await (await api.GetAsync("/api/v1/products?limit=20", ct)).ReadAsync<PageDto<ProductDto>>()).Items;
            var (bought, boughtWith, unseen) = (products[10], products[11], products[12]);

            // Co-purchases: one order of two products, learnt by the service from the confirmed order's event.
            var email = $"web-{Guid.NewGuid():N}@example.com";
            (await api.PostAsJsonAsync("/api/v1/accounts", new { email, password = Password, displayName = "Co-buyer" }, ct)).EnsureSuccessStatusCode();
            using (var buyer = await storefront.SignedInAsync(email, Password, ct))
            {
                var placed = await buyer.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (bought.Id, 1), (boughtWith.Id, 1));
                Assert.True(placed.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, $"{(int)placed.StatusCode}: {await placed.Content.ReadAsStringAsync(ct)}");
            }

            await Eventually.ValueAsync(async () => await (await api.GetAsync($"/api/v1/recommendations?productId={bought.Id}", ct)).ReadAsync<RecommendationsDto>(),
                r => r.Source == "related" && r.Items.Any(p => p.Id == boughtWith.Id), ConvergenceTimeout, "the service to answer what was bought with the product");

            // The page shows it. The service already answers it (above), so the first rendering has it; anonymous pages
            // are output-cached (varied only by the query keys pages read), so a look again sees that same copy.
            var alsoBought = $"section#also-bought a.product[href=\"/products/{boughtWith.Id}\"]";
            var deadline = DateTimeOffset.UtcNow + ConvergenceTimeout;
            while (true)
            {
                await NavigateAsync(page, storefront, $"/products/{bought.Id}", ct);
                await AssertPageAsync(page, await page.UrlAsync(ct), $"^/products/{bought.Id}$", signedIn: false, ct);
                if (await page.CountAsync(alsoBought, ct) > 0)
                {
                    break;
                }

                Assert.True(DateTimeOffset.UtcNow < deadline,
                    $"The product page never showed {alsoBought}; section#also-bought holds: {await page.TextAsync("section#also-bought", ct) ?? "(no section)"}");
                await Task.Delay(500, ct);
            }

            await AssertProductPageAsync(page, bought, ct);
            Assert.Equal(1, await page.CountAsync("a#sign-in-to-buy", ct));
            Assert.Equal(0, await page.CountAsync("form#add-to-cart", ct));
            await ScreenshotAsync(page, "product-also-bought", ct);

            // The service stops: its port refuses connections (RealProcessTest disposes it again at the end, which is harmless).
            var recommendations = Recommendations.BaseAddress;
            await Recommendations.DisposeAsync();
            using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => probe.GetAsync(recommendations, ct));
            }

            // A product page not seen before (so neither an output-cached page nor a kept answer): rendered, without the section.
            var clock = Stopwatch.StartNew();
            await NavigateAsync(page, storefront, $"/products/{unseen.Id}", ct);
            clock.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"/products/{unseen.Id} with the recommendations service down: loaded in {clock.ElapsedMilliseconds} ms");
            await AssertPageAsync(page, await page.UrlAsync(ct), $"^/products/{unseen.Id}$", signedIn: false, ct);
            await AssertProductPageAsync(page, unseen, ct);
            Assert.Equal(0, await page.CountAsync("section#also-bought", ct));
            // A loose bound for a busy machine: the point is that the page does not hang on the dead service.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"The page took {clock.Elapsed} with the recommendations service down.");
            await ScreenshotAsync(page, "product-without-recommendations", ct);
        });
    }

    [Fact]
    public async Task A_shopper_browses_and_searches_with_the_keyboard_alone()
    {
        await RunInBrowserAsync("keyboard", async (storefront, page, ct) =>
        {
            using var api = new HttpClient { BaseAddress = storefront.Address };
            var product = (await (await api.GetAsync("/api/v1/products?limit=1", ct)).ReadAsync<PageDto<ProductDto>>()).Items[0];
            await NavigateAsync(page, storefront, "/", ct);

            // The first Tab reaches the skip link, and Enter on it puts the keyboard in the main content.
            await page.PressAsync("Tab", ct);
            Assert.Equal("a.skip-link", await page.FocusedAsync(ct));
            await page.PressAsync("Enter", ct);
            await page.WaitForAsync("document.activeElement && document.activeElement.id === 'main'", PageTimeout, "the focus to move to main", ct);

            // From there the next Tab is the first product; Enter follows it.
            await page.PressAsync("Tab", ct);
            var focused = await page.FocusedAsync(ct);
            Assert.Equal("a.product", focused);
            var url = await page.PressAndWaitForNavigationAsync("Enter", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/products/[0-9]+$", signedIn: false, ct);

            // Skip link, home, the search box: typing and Enter there searches.
            foreach (var expected in new[] { "a.skip-link", "a#home.brand", "input#q" })
            {
                await page.PressAsync("Tab", ct);
                Assert.Equal(expected, await page.FocusedAsync(ct));
            }

            await page.SendAsync("Input.insertText", new System.Text.Json.Nodes.JsonObject { ["text"] = product.Name }, ct);
            url = await page.PressAndWaitForNavigationAsync("Enter", PageTimeout, ct);
            await AssertPageAsync(page, url, "^/search$", signedIn: false, ct);
            Assert.Contains($"/products/{product.Id}", await page.HrefsAsync("ul#results a.product", ct));
        });
    }

    /// <summary>A storefront process and a browser tab of this test's own; on a failure, a screenshot and the storefront's last output.</summary>
    private async Task RunInBrowserAsync(string scenario, Func<StorefrontProcess, BrowserPage, CancellationToken, Task> body)
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(Chromium.FindExecutable() is not null,
            "Chromium is not installed: this test drives the Debian package 'chromium' (apt-get install -y chromium; ./test.sh installs it), or set SCALESHOP_CHROMIUM.");
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            await using var chromium = await Chromium.LaunchAsync(ct);
            var page = await chromium.NewPageAsync(ViewportWidth, ViewportHeight, ct);
            var passed = false;
            try
            {
                await body(storefront, page, ct);
                passed = true;
            }
            finally
            {
                if (!passed)
                {
                    // The page as the failing assertion saw it (never hiding that failure).
                    try
                    {
                        var html = (await page.EvaluateAsync("document.documentElement.outerHTML", ct)).GetString() ?? "";
                        TestContext.Current.TestOutputHelper?.WriteLine($"Failed at {await page.UrlAsync(ct)}, showing:{Environment.NewLine}{html[..Math.Min(html.Length, 4000)]}");
                        TestContext.Current.TestOutputHelper?.WriteLine($"The storefront ({(storefront.HasExited ? "exited" : "running")} at {storefront.Address})'s last output:{Environment.NewLine}{string.Join(Environment.NewLine, storefront.Output.TakeLast(40))}");
                        await TestArtifacts.SaveAsync($"web-{scenario}-failed.png", await page.ScreenshotAsync(ct), "image/png", ct);
                    }
                    catch (Exception exception)
                    {
                        TestContext.Current.TestOutputHelper?.WriteLine($"No screenshot of the failure: {exception.Message}");
                    }
                }
            }
        }
        finally
        {
            storefront.Kill();
        }
    }

    private static Task NavigateAsync(BrowserPage page, StorefrontProcess storefront, string path, CancellationToken ct) =>
        page.NavigateAsync(new Uri(storefront.Address, path), PageTimeout, ct);

    private static async Task ScreenshotAsync(BrowserPage page, string name, CancellationToken ct) =>
        await TestArtifacts.SaveAsync($"web-{name}.png", await page.ScreenshotAsync(ct), "image/png", ct);

    /// <summary>
    /// What every page has: served 200 at the expected path, no console error or failed load so far, the header
    /// (home link, search form, the links of a signed-in or an anonymous shopper) and the main content.
    /// </summary>
    private static async Task AssertPageAsync(BrowserPage page, Uri url, string pathPattern, bool signedIn, CancellationToken ct)
    {
        Assert.Matches(pathPattern, url.AbsolutePath);
        AssertNoProblems(page, url);
        Assert.True(await page.DocumentStatusAsync(ct) == 200, $"{url} was served with {await page.DocumentStatusAsync(ct)}.");
        await AssertHeaderAsync(page, url, signedIn, ct);
    }

    /// <summary>A form the server refused: the page again (at <paramref name="pathPattern"/>), served 200 or as a client error, with nothing else failing.</summary>
    private static async Task AssertRefusedFormAsync(BrowserPage page, Uri url, string pathPattern, CancellationToken ct)
    {
        Assert.Matches(pathPattern, url.AbsolutePath);
        var status = await page.DocumentStatusAsync(ct);
        Assert.True(status is 200 or 400 or 409 or 422, $"{url} answered the refused form with {status}.");
        // Chromium logs a document served with a client error as a failed load: the form's own answers are not faults.
        var problems = page.Problems.Where(p => !(OwnAnswer().IsMatch(p) && p.EndsWith(" " + url, StringComparison.Ordinal))).ToList();
        Assert.True(problems.Count == 0, $"{url} logged errors:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        await AssertHeaderAsync(page, url, signedIn: false, ct);
    }

    private static void AssertNoProblems(BrowserPage page, Uri url) =>
        Assert.True(page.Problems.Count == 0, $"Up to {url}, the pages logged errors:{Environment.NewLine}{string.Join(Environment.NewLine, page.Problems)}");

    private static async Task AssertHeaderAsync(BrowserPage page, Uri url, bool signedIn, CancellationToken ct)
    {
        Assert.True(await page.AttributeAsync("header a#home", "href", ct) == "/", $"{url}: header a#home does not link to /");
        Assert.True(await page.CountAsync("header form#search-form[role=search] input#q[name=q]", ct) == 1, $"{url}: no search form with #q in the header");
        Assert.Equal("get", (await page.EvaluateAsync("document.querySelector('form#search-form').method", ct)).GetString());
        Assert.Equal("/search", new Uri((await page.EvaluateAsync("document.querySelector('form#search-form').action", ct)).GetString()!).AbsolutePath);
        Assert.True(await page.CountAsync("main#main", ct) == 1, $"{url}: no main#main");
        if (signedIn)
        {
            Assert.True(await page.AttributeAsync("header a#cart-link", "href", ct) == "/cart", $"{url}: signed in, but header a#cart-link does not link to /cart");
            Assert.True(await page.AttributeAsync("header a#orders-link", "href", ct) == "/orders", $"{url}: signed in, but header a#orders-link does not link to /orders");
            await AssertPostFormAsync(page, "header form#sign-out", ct);
            Assert.Equal(0, await page.CountAsync("a#sign-in, a#sign-up", ct));
        }
        else
        {
            Assert.StartsWith("/account/sign-in", await page.AttributeAsync("header a#sign-in", "href", ct) ?? $"{url}: anonymous, but no header a#sign-in");
            Assert.StartsWith("/account/sign-up", await page.AttributeAsync("header a#sign-up", "href", ct) ?? $"{url}: anonymous, but no header a#sign-up");
            Assert.Equal(0, await page.CountAsync("a#cart-link, a#orders-link, form#sign-out", ct));
        }
    }

    /// <summary>A form that posts, with its antiforgery token and a submit button.</summary>
    private static async Task AssertPostFormAsync(BrowserPage page, string form, CancellationToken ct)
    {
        var shape = await page.EvaluateAsync($$"""
            (() => {
              const form = document.querySelector({{System.Text.Json.JsonSerializer.Serialize(form)}});
              return form ? form.method + ' token:' + !!form.querySelector('input[type=hidden][name=__RequestVerificationToken]')
                + ' button:' + [...form.elements].some(e => e.type === 'submit') : 'missing';
            })()
            """, ct);
        Assert.True(shape.GetString() == "post token:true button:true", $"{form} should be a POST form with an antiforgery token and a submit button: {shape}");
    }

    private static async Task AssertProductPageAsync(BrowserPage page, ProductDto product, CancellationToken ct)
    {
        Assert.Equal(product.Name, await page.TextAsync("h1#product-name", ct));
        Assert.Equal(product.Price, Money(await page.TextAsync("#price", ct)));
        Assert.False(string.IsNullOrWhiteSpace(await page.TextAsync("#stock", ct)), "No #stock");
    }

    private static async Task AssertOrderPageAsync(BrowserPage page, string[] statuses, int lines, CancellationToken ct)
    {
        var status = await page.AttributeAsync("#order-status", "data-status", ct);
        Assert.Contains(status, statuses);
        var shown = status switch
        {
            "confirmed" => "Confirmed",
            "pending_payment" => "Pending payment",
            _ => "Cancelled",
        };
        Assert.Equal(shown, await page.TextAsync("#order-status", ct));
        Assert.Equal(lines, await page.CountAsync("table#order-lines tbody tr", ct));
    }

    /// <summary>The number in the header's cart link.</summary>
    private static async Task<int> CartLinkCountAsync(BrowserPage page, CancellationToken ct)
    {
        var text = await page.TextAsync("a#cart-link", ct);
        var count = Number().Match(text ?? "");
        Assert.True(count.Success, $"a#cart-link shows no count: '{text}'");
        return int.Parse(count.Value, CultureInfo.InvariantCulture);
    }

    private static async Task<string?> ValueAsync(BrowserPage page, string selector, CancellationToken ct) =>
        await page.EvaluateAsync($"document.querySelector({System.Text.Json.JsonSerializer.Serialize(selector)})?.value ?? null", ct) is { ValueKind: System.Text.Json.JsonValueKind.String } value
            ? value.GetString() : null;

    /// <summary>An amount as a page shows it ("$1,234.50", "1234.50 USD"): its digits.</summary>
    private static decimal Money(string? text)
    {
        var amount = Amount().Match(text ?? "");
        Assert.True(amount.Success, $"No amount in '{text}'");
        return decimal.Parse(amount.Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    private static long ProductId(string path) => long.Parse(ProductHref().Match(path).Groups[1].Value, CultureInfo.InvariantCulture);

    private static string? QueryValue(Uri url, string name) =>
        url.Query.TrimStart('?').Split('&').Select(pair => pair.Split('=', 2)).Where(pair => pair[0] == name)
            .Select(pair => Uri.UnescapeDataString(pair.Length > 1 ? pair[1].Replace('+', ' ') : "")).FirstOrDefault();

    [GeneratedRegex("^/products/([0-9]+)$")]
    private static partial Regex ProductHref();

    [GeneratedRegex("^/categories/[0-9]+$")]
    private static partial Regex CategoryHref();

    [GeneratedRegex("^log \\(network\\): Failed to load resource: the server responded with a status of (400|409|422) ")]
    private static partial Regex OwnAnswer();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Number();

    [GeneratedRegex("[0-9][0-9,]*(\\.[0-9]+)?")]
    private static partial Regex Amount();
}
