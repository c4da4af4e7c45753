using System.Net;

namespace ScaleShop.Storefront.Tests;

public sealed class BadInputTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task A_body_over_one_MiB_is_a_413_problem_and_nothing_is_written()
    {
        using var client = app.Anonymous();
        var email = $"big-{Guid.NewGuid():N}@tests.scaleshop.test";
        var body = $$"""{"email":"{{email}}","password":"password-123","displayName":"{{new string('x', 1024 * 1024)}}"}""";
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await (await client.PostAsync("/api/v1/accounts", content, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        var signIn = await client.PostAsJsonAsync("/api/v1/sessions", new { email, password = "password-123" }, TestContext.Current.CancellationToken);
        await signIn.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"a string\"")]
    [InlineData("{\"email\":42,\"password\":\"password-123\",\"displayName\":\"x\"}")]
    public async Task Malformed_or_mistyped_json_is_a_400_problem(string body)
    {
        using var client = app.Anonymous();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var problem = await (await client.PostAsync("/api/v1/accounts", content, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem.Errors);
        Assert.NotEmpty(problem.Errors);
    }

    [Fact]
    public async Task A_wrongly_typed_field_is_named()
    {
        using var client = app.Anonymous();
        using var content = new StringContent("{\"email\":42,\"password\":\"password-123\",\"displayName\":\"x\"}", System.Text.Encoding.UTF8, "application/json");
        await (await client.PostAsync("/api/v1/accounts", content, TestContext.Current.CancellationToken)).AssertFieldErrorAsync("email");
    }

    [Fact]
    public async Task A_missing_body_is_a_400_problem()
    {
        using var client = app.Anonymous();
        using var content = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        await (await client.PostAsync("/api/v1/accounts", content, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_routes_are_404_problems()
    {
        using var client = app.Anonymous();
        await (await client.GetAsync("/api/v1/nothing-here", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/api/v1/products/not-a-number", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Recommendations_are_popular_items_without_the_viewed_product()
    {
        using var client = app.Anonymous();
        var all = await (await client.GetAsync("/api/v1/recommendations?limit=5", TestContext.Current.CancellationToken)).ReadAsync<RecommendationsDto>();
        Assert.Equal("popular", all.Source);
        Assert.Equal(5, all.Items.Count);
        var top = all.Items[0].Id;
        var forTop = await (await client.GetAsync($"/api/v1/recommendations?productId={top}&limit=5", TestContext.Current.CancellationToken)).ReadAsync<RecommendationsDto>();
        Assert.DoesNotContain(forTop.Items, p => p.Id == top);
        await (await client.GetAsync("/api/v1/recommendations?productId=555555", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/api/v1/recommendations?limit=0", TestContext.Current.CancellationToken)).AssertFieldErrorAsync("limit");
    }

    [Fact]
    public async Task Health_and_the_OpenAPI_document_are_served()
    {
        using var client = app.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode);
        var openApi = await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        foreach (var path in new[] { "/api/v1/categories", "/api/v1/products/{id}", "/api/v1/search", "/api/v1/accounts", "/api/v1/sessions", "/api/v1/cart",
                     "/api/v1/cart/items/{productId}", "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/cart/checkout", "/api/v1/recommendations", "/api/v1/admin/products/{id}" })
        {
            Assert.Contains($"\"{path}\"", openApi, StringComparison.Ordinal);
        }
    }
}
