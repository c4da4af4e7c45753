using Microsoft.Extensions.DependencyInjection;
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

        var results = await Eventually.ValueAsync(async () => await (await admin.GetAsync("/api/v1/search?q=zanzibarite", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>(),
            page => page.Items.Count == 2, TimeSpan.FromSeconds(20), "both changes in the search index");
        Assert.Equal([inName, inDescription], results.Items.Select(p => p.Id));
    }

    [Fact]
    public async Task The_search_index_converges_on_the_newest_text_whatever_the_order_and_number_of_deliveries()
    {
        using var admin = await app.AdminAsync();
        var productId = StorefrontApp.TakeProductId();
        var renamed = await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { name = "Wombatophone" }, TestContext.Current.CancellationToken)).ReadAsync<ProductDto>();
        await Eventually.ValueAsync(() => SearchAsync(admin, "wombatophone"), ids => ids.SequenceEqual([productId]), TimeSpan.FromSeconds(20), "the rename indexed");

        // A late redelivery of an older change (version 1: the seeded text's) and a repeat of it: neither may win.
        var projection = app.Services.GetServices<ScaleShop.Storefront.Messaging.IEventConsumer>().OfType<ScaleShop.Storefront.Search.SearchIndexProjection>().Single();
        var stale = new ScaleShop.Storefront.Messaging.IntegrationEvent(Random.Shared.NextInt64(1L << 40, 1L << 50), ScaleShop.Storefront.Messaging.ProductEvents.Changed, 0,
            ScaleShop.Storefront.Messaging.ProductEvents.Serialize(new(productId, 1, "Zebrafish Stale Name", "stale")), DateTimeOffset.UtcNow);
        await projection.HandleAsync([stale], TestContext.Current.CancellationToken);
        await projection.HandleAsync([stale, stale], TestContext.Current.CancellationToken);

        Assert.Empty(await SearchAsync(admin, "zebrafish"));
        Assert.Equal([productId], await SearchAsync(admin, "wombatophone"));
        Assert.Equal("Wombatophone", renamed.Name);
    }

    private static async Task<List<long>> SearchAsync(HttpClient client, string query) =>
        (await (await client.GetAsync($"/api/v1/search?q={query}&limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>()).Items.Select(p => p.Id).ToList();

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
