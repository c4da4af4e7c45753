using System.Net;

namespace ScaleShop.Storefront.Tests;

public sealed class AccountsTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    private static string NewEmail() => $"acct-{Guid.NewGuid():N}@tests.scaleshop.test";

    [Fact]
    public async Task Registering_returns_the_account_with_an_opaque_string_id()
    {
        using var client = app.Anonymous();
        var email = NewEmail();
        var response = await client.PostAsJsonAsync("/api/v1/accounts", new { email, password = "password-123", displayName = "Ada" }, TestContext.Current.CancellationToken);
        var account = await response.ReadAsync<StorefrontApp.AccountDto>(HttpStatusCode.Created);
        Assert.Equal(email, account.Email);
        Assert.Equal("Ada", account.DisplayName);
        Assert.Matches("^[1-9][0-9]*$", account.Id);
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"id\":\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("password", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_email_registers_once_whatever_its_case()
    {
        using var client = app.Anonymous();
        var email = NewEmail();
        (await client.PostAsJsonAsync("/api/v1/accounts", new { email, password = "password-123", displayName = "A" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var again = await client.PostAsJsonAsync("/api/v1/accounts", new { email = email.ToUpperInvariant(), password = "password-456", displayName = "B" }, TestContext.Current.CancellationToken);
        await again.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_email_create_one_account()
    {
        using var client = app.Anonymous();
        var email = NewEmail();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostAsJsonAsync("/api/v1/accounts", new { email, password = $"password-{i:000}", displayName = "Racer" }, TestContext.Current.CancellationToken)));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
    }

    [Theory]
    [InlineData("not-an-email", "password-123", "Ada", "email")]
    [InlineData("", "password-123", "Ada", "email")]
    [InlineData(null, "password-123", "Ada", "email")]
    [InlineData("ok@tests.scaleshop.test", "short", "Ada", "password")]
    [InlineData("ok@tests.scaleshop.test", null, "Ada", "password")]
    [InlineData("ok@tests.scaleshop.test", "password-123", "", "displayName")]
    [InlineData("ok@tests.scaleshop.test", "password-123", null, "displayName")]
    public async Task Bad_registrations_name_the_field_and_create_nothing(string? email, string? password, string? displayName, string field)
    {
        using var client = app.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/accounts", new { email, password, displayName }, TestContext.Current.CancellationToken);
        await response.AssertFieldErrorAsync(field);
        if (email == "ok@tests.scaleshop.test")
        {
            var signIn = await client.PostAsJsonAsync("/api/v1/sessions", new { email, password = password ?? "password-123" }, TestContext.Current.CancellationToken);
            await signIn.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task Over_long_fields_are_refused()
    {
        using var client = app.Anonymous();
        var longEmail = new string('a', 250) + "@example.com";
        await (await client.PostAsJsonAsync("/api/v1/accounts", new { email = longEmail, password = "password-123", displayName = "A" }, TestContext.Current.CancellationToken)).AssertFieldErrorAsync("email");
        await (await client.PostAsJsonAsync("/api/v1/accounts", new { email = NewEmail(), password = new string('p', 129), displayName = "A" }, TestContext.Current.CancellationToken)).AssertFieldErrorAsync("password");
        await (await client.PostAsJsonAsync("/api/v1/accounts", new { email = NewEmail(), password = "password-123", displayName = new string('d', 101) }, TestContext.Current.CancellationToken)).AssertFieldErrorAsync("displayName");
    }

    [Fact]
    public async Task Signing_in_returns_a_bearer_token_that_opens_the_cart()
    {
        var (client, _, _) = await app.NewUserAsync();
        using (client)
        {
            var response = await client.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var anonymous = app.Anonymous();
        var token = await (await anonymous.PostAsJsonAsync("/api/v1/sessions",
            new { email = "user7@seed.scaleshop.test", password = "scaleshop-demo" }, TestContext.Current.CancellationToken)).ReadAsync<StorefrontApp.TokenDto>();
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(3600, token.ExpiresIn);
        Assert.Equal(3, token.AccessToken.Split('.').Length);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_401()
    {
        var (client, _, email) = await app.NewUserAsync();
        client.Dispose();
        using var anonymous = app.Anonymous();
        var wrongPassword = await (await anonymous.PostAsJsonAsync("/api/v1/sessions", new { email, password = "wrong-password" }, TestContext.Current.CancellationToken))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);
        var unknownEmail = await (await anonymous.PostAsJsonAsync("/api/v1/sessions", new { email = NewEmail(), password = "wrong-password" }, TestContext.Current.CancellationToken))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(wrongPassword.Title, unknownEmail.Title);
        Assert.Equal(wrongPassword.Detail, unknownEmail.Detail);
    }

    [Theory]
    [InlineData("not a token")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")]
    public async Task Missing_or_bad_tokens_get_401_problem(string token)
    {
        using var anonymous = app.Anonymous();
        await (await anonymous.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/orders");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await (await anonymous.SendAsync(request, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
