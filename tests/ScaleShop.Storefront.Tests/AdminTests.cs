using System.Net;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

public sealed class AdminTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task An_admin_update_is_visible_at_once_in_the_product_and_listing_and_in_search_once_indexed()
    {
        using var admin = await app.AdminAsync();
        using var anonymous = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var before = await anonymous.GetProductAsync(productId);
        var listingBefore = await (await anonymous.GetAsync($"/api/v1/products?categoryId={before.CategoryId}&limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
        Assert.Contains(listingBefore.Items, p => p.Id == productId);

        var updated = await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}",
            new { price = 123.45m, stock = 77, name = "Quokkaphone Deluxe", description = "A marsupial telephone." }, TestContext.Current.CancellationToken)).ReadAsync<ProductDto>();
        Assert.Equal(123.45m, updated.Price);
        Assert.Equal(77, updated.Stock);

        var after = await anonymous.GetProductAsync(productId);
        Assert.Equal(("Quokkaphone Deluxe", 123.45m, 77, "A marsupial telephone."), (after.Name, after.Price, after.Stock, after.Description));
        var listing = await (await anonymous.GetAsync($"/api/v1/products?categoryId={before.CategoryId}&limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>();
        Assert.Equal(123.45m, listing.Items.Single(p => p.Id == productId).Price);
        // Search is a read model fed by product.changed through the outbox: eventually consistent.
        var search = await Eventually.ValueAsync(async () => await (await anonymous.GetAsync("/api/v1/search?q=quokkaphone", TestContext.Current.CancellationToken)).ReadAsync<PageDto<ProductDto>>(),
            page => page.Items.Count > 0, TimeSpan.FromSeconds(20), "the renamed product found by its new name");
        Assert.Equal([productId], search.Items.Select(p => p.Id));
    }

    [Fact]
    public async Task Non_admins_get_403_and_anonymous_callers_401()
    {
        var (user, _, _) = await app.NewUserAsync();
        using var _ = user;
        using var anonymous = app.Anonymous();
        var seeded = await app.SignedInAsync("user3@seed.scaleshop.test", "scaleshop-demo");
        using var __ = seeded;
        await (await user.PutAsJsonAsync("/api/v1/admin/products/1", new { price = 1m }, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await seeded.PutAsJsonAsync("/api/v1/admin/products/1", new { price = 1m }, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await anonymous.PutAsJsonAsync("/api/v1/admin/products/1", new { price = 1m }, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{}", "body")]
    [InlineData("{\"price\":-1}", "price")]
    [InlineData("{\"price\":1.234}", "price")]
    [InlineData("{\"price\":\"free\"}", "price")]
    [InlineData("{\"stock\":-1}", "stock")]
    [InlineData("{\"stock\":2000000}", "stock")]
    [InlineData("{\"name\":\"\"}", "name")]
    [InlineData("{\"name\":\"   \"}", "name")]
    [InlineData("{\"stockBuckets\":65}", "stockBuckets")]
    [InlineData("{\"stockBuckets\":-1}", "stockBuckets")]
    public async Task Bad_updates_name_the_field_and_change_nothing(string body, string field)
    {
        using var admin = await app.AdminAsync();
        var productId = StorefrontApp.TakeProductId();
        var before = await admin.GetProductAsync(productId);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await (await admin.PutAsync($"/api/v1/admin/products/{productId}", content, TestContext.Current.CancellationToken)).AssertFieldErrorAsync(field);
        Assert.Equal(before, await admin.GetProductAsync(productId));
    }

    [Fact]
    public async Task Updating_an_unknown_product_is_a_404()
    {
        using var admin = await app.AdminAsync();
        await (await admin.PutAsJsonAsync("/api/v1/admin/products/777777", new { stock = 1 }, TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
