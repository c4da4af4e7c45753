using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

public sealed class SearchTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task Search_finds_a_product_by_words_of_its_name()
    {
        using var client = app.Anonymous();
        var product = await client.GetProductAsync(17);
        var words = product.Name.Split(' ');
        var query = Uri.EscapeDataString($"{words[0]} {words[^2]}");

        var results = await (await client.GetAsync($"/api/v1/search?q={query}&limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
        Assert.Contains(results.Items, p => p.Id == product.Id);
    }

    [Fact]
    public async Task Name_matches_rank_above_description_only_matches()
    {
        using var admin = await app.AdminAsync();
        var inName = StorefrontApp.TakeProductId();
        var inDescription = StorefrontApp.TakeProductId();
        await admin.PutAsJsonAsync($"/api/v1/admin/products/{inDescription}", new { description = "Goes well with a zanzibarite lamp." }, TestContext.Current.CancellationToken);
        await admin.PutAsJsonAsync($"/api/v1/admin/products/{inName}", new { name = "Zanzibarite Lantern" }, TestContext.Current.CancellationToken);

        var results = await (await admin.GetAsync("/api/v1/search?q=zanzibarite", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
        Assert.Equal([inName, inDescription], results.Items.Select(p => p.Id));
    }

    [Fact]
    public async Task Search_pages_with_a_cursor_without_repeating_results()
    {
        using var client = app.Anonymous();
        var all = await (await client.GetAsync("/api/v1/search?q=acme&limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
        Assert.Null(all.Next);
        Assert.True(all.Items.Count > 9, $"Only {all.Items.Count} results: too few to page.");
        var paged = new List<ProductDto>();
        string? next = null;
        do
        {
            var page = await (await client.GetAsync("/api/v1/search?q=acme&limit=4" + (next is null ? "" : $"&after={next}"), TestContext.Current.CancellationToken))
                .ReadAsync<PageDto<ProductDto>>();
            paged.AddRange(page.Items);
            next = page.Next;
        }
        while (next is not null && paged.Count <= all.Items.Count);

        Assert.Equal(all.Items.Select(p => p.Id), paged.Select(p => p.Id));
    }

    [Theory]
    [InlineData("\"AND OR NOT *( ^")]
    [InlineData("name:foo NEAR(bar)")]
    [InlineData("!!!")]
    public async Task Query_syntax_in_user_input_is_treated_as_words(string query)
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync($"/api/v1/search?q={Uri.EscapeDataString(query)}", TestContext.Current.CancellationToken);
        await response.ReadAsync<PageDto<ProductDto>>();
    }

    [Theory]
    [InlineData("/api/v1/search", "q")]
    [InlineData("/api/v1/search?q=", "q")]
    [InlineData("/api/v1/search?q=%20%20", "q")]
    [InlineData("/api/v1/search?q=lamp&limit=500", "limit")]
    [InlineData("/api/v1/search?q=lamp&after=djF8MQ", "after")]
    public async Task Bad_search_parameters_are_named_in_the_problem(string url, string field)
    {
        using var client = app.Anonymous();
        await (await client.GetAsync(url, TestContext.Current.CancellationToken)).AssertFieldErrorAsync(field);
    }

    [Fact]
    public async Task A_query_over_200_characters_is_refused()
    {
        using var client = app.Anonymous();
        await (await client.GetAsync($"/api/v1/search?q={new string('a', 201)}", TestContext.Current.CancellationToken)).AssertFieldErrorAsync("q");
    }
}
