using System.Net;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

public sealed class CatalogTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task Categories_lists_every_seeded_category()
    {
        using var client = app.Anonymous();
        var categories = await (await client.GetAsync("/api/v1/categories", TestContext.Current.CancellationToken)).ReadAsync<ItemsDto<CategoryDto>>();
        Assert.Equal(StorefrontApp.SeededCategories, categories.Items.Count);
        Assert.All(categories.Items, c => Assert.False(string.IsNullOrWhiteSpace(c.Name)));
    }

    [Fact]
    public async Task Walking_a_category_page_by_page_returns_each_of_its_products_once_in_id_order()
    {
        using var client = app.Anonymous();
        var seen = new List<ProductDto>();
        string? next = null;
        var pages = 0;
        do
        {
            var url = "/api/v1/products?categoryId=3&limit=7" + (next is null ? "" : $"&after={next}");
            var page = await (await client.GetAsync(url, TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
            Assert.True(page.Items.Count <= 7);
            seen.AddRange(page.Items);
            next = page.Next;
            pages++;
        }
        while (next is not null && pages < 100);

        Assert.Equal(StorefrontApp.SeededProducts / StorefrontApp.SeededCategories, seen.Count);
        Assert.All(seen, p => Assert.Equal(3, p.CategoryId));
        Assert.Equal(seen.Select(p => p.Id).Order(), seen.Select(p => p.Id));
        Assert.Equal(seen.Count, seen.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public async Task Products_default_to_twenty_per_page_with_prices_in_two_decimals()
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync("/api/v1/products", TestContext.Current.CancellationToken);
        var page = await response.ReadAsync<PageDto<ProductDto>>();
        Assert.Equal(20, page.Items.Count);
        Assert.NotNull(page.Next);
        Assert.All(page.Items, p => Assert.Equal("USD", p.Currency));
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Matches("\"price\":\\d+\\.\\d{2}[,}]", json);
    }

    [Fact]
    public async Task A_product_has_its_description_and_an_unknown_one_is_a_404_problem()
    {
        using var client = app.Anonymous();
        var product = await client.GetProductAsync(5);
        Assert.Equal(5, product.Id);
        Assert.False(string.IsNullOrWhiteSpace(product.Description));
        Assert.StartsWith("SKU-", product.Sku, StringComparison.Ordinal);

        await (await client.GetAsync("/api/v1/products/999999", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/api/v1/products?limit=0", "limit")]
    [InlineData("/api/v1/products?limit=101", "limit")]
    [InlineData("/api/v1/products?limit=abc", "limit")]
    [InlineData("/api/v1/products?after=not-a-cursor", "after")]
    [InlineData("/api/v1/products?categoryId=9999", "categoryId")]
    [InlineData("/api/v1/products?categoryId=x", "categoryId")]
    public async Task Bad_list_parameters_are_named_in_the_problem(string url, string field)
    {
        using var client = app.Anonymous();
        await (await client.GetAsync(url, TestContext.Current.CancellationToken)).AssertFieldErrorAsync(field);
    }
}
