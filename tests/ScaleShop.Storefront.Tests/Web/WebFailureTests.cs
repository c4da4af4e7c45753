using System.Net;
using System.Net.Http.Headers;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Tests.Web;

/// <summary>Chaos switched on, so a test can break the user databases under the pages.</summary>
public sealed class WebChaosApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Chaos:Enabled", "true")];
}

/// <summary>A page whose database is down tells the person so, in HTML, with the API's status and Retry-After; the API keeps its JSON.</summary>
public sealed class WebFailureTests(WebChaosApp app) : IClassFixture<WebChaosApp>
{
    [Fact]
    public async Task A_page_whose_shard_is_down_answers_503_in_html_with_retry_after_and_the_api_still_answers_json()
    {
        var ct = TestContext.Current.CancellationToken;
        using var probe = app.Anonymous();
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = probe.BaseAddress,
        };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        var form = await (await browser.GetAsync("/account/sign-up", ct)).Content.ReadAsStringAsync(ct);
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var signUp = await browser.PostAsync("/account/sign-up", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["Email"] = $"outage-{Guid.NewGuid():N}@tests.scaleshop.test",
            ["Password"] = "web-password-1",
            ["DisplayName"] = "Outage Witness",
        }), ct);
        Assert.Equal(HttpStatusCode.Redirect, signUp.StatusCode);

        using var admin = await app.AdminAsync();
        var shards = app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabases;
        try
        {
            foreach (var shard in shards)
            {
                (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{shard}", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
            }

            var page = await browser.GetAsync("/cart", ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(page.Headers.RetryAfter);
            var html = await page.Content.ReadAsStringAsync(ct);
            Assert.Contains("<h1>Temporarily unavailable</h1>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("\"status\"", html, StringComparison.Ordinal);

            // The same outage through the API, even asked by a browser: problem details in JSON.
            using var api = new HttpClient { BaseAddress = probe.BaseAddress };
            api.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
            api.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*", 0.8));
            var refused = await api.PostAsJsonAsync("/api/v1/sessions", new { email = "user1@seed.scaleshop.test", password = "scaleshop-demo" }, ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }
    }
}
