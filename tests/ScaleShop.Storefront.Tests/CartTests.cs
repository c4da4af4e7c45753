using System.Net;

namespace ScaleShop.Storefront.Tests;

public sealed class CartTests(StorefrontApp app) : IClassFixture<StorefrontApp>
{
    [Fact]
    public async Task Setting_changing_and_removing_lines_returns_the_cart_with_its_total()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var first = await client.GetProductAsync(StorefrontApp.TakeProductId());
        var second = await client.GetProductAsync(StorefrontApp.TakeProductId());

        var cart = await (await client.PutAsJsonAsync($"/api/v1/cart/items/{first.Id}", new { quantity = 2 }, TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Equal([new CartItemDto(first.Id, first.Name, 2, first.Price)], cart.Items);

        cart = await (await client.PutAsJsonAsync($"/api/v1/cart/items/{second.Id}", new { quantity = 1 }, TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        cart = await (await client.PutAsJsonAsync($"/api/v1/cart/items/{first.Id}", new { quantity = 3 }, TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Equal(2, cart.Items.Count);
        Assert.Equal((first.Price * 3) + second.Price, cart.Total);
        Assert.Equal("USD", cart.Currency);

        cart = await (await client.DeleteAsync($"/api/v1/cart/items/{first.Id}", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Equal([second.Id], cart.Items.Select(i => i.ProductId));

        var reread = await (await client.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Equal(cart, reread with { Items = reread.Items }, new CartComparer());
    }

    [Theory]
    [InlineData("{\"quantity\":0}", "quantity")]
    [InlineData("{\"quantity\":101}", "quantity")]
    [InlineData("{\"quantity\":-5}", "quantity")]
    [InlineData("{\"quantity\":99999999999}", "quantity")]
    [InlineData("{\"quantity\":\"two\"}", "quantity")]
    [InlineData("{}", "quantity")]
    [InlineData("{\"quantity\":", "body")]
    public async Task Bad_quantities_are_named_and_leave_the_cart_unchanged(string body, string field)
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var productId = StorefrontApp.TakeProductId();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PutAsync($"/api/v1/cart/items/{productId}", content, TestContext.Current.CancellationToken);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem.Errors);
        Assert.True(problem.Errors.Keys.Any(k => k == field || (field == "body" && k.Length > 0)), string.Join(",", problem.Errors.Keys));

        var cart = await (await client.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Empty(cart.Items);
    }

    [Fact]
    public async Task An_unknown_product_is_a_404_problem()
    {
        var (client, _, _) = await app.NewUserAsync();
        using var _ = client;
        var response = await client.PutAsJsonAsync("/api/v1/cart/items/987654", new { quantity = 1 }, TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Carts_belong_to_their_user()
    {
        var (alice, _, _) = await app.NewUserAsync();
        var (bob, _, _) = await app.NewUserAsync();
        using var _ = alice;
        using var __ = bob;
        await alice.PutAsJsonAsync($"/api/v1/cart/items/{StorefrontApp.TakeProductId()}", new { quantity = 1 }, TestContext.Current.CancellationToken);
        var bobsCart = await (await bob.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).ReadAsync<CartDto>();
        Assert.Empty(bobsCart.Items);
    }

    private sealed class CartComparer : IEqualityComparer<CartDto>
    {
        public bool Equals(CartDto? x, CartDto? y) => x is not null && y is not null && x.Total == y.Total && x.Currency == y.Currency && x.Items.SequenceEqual(y.Items);

        public int GetHashCode(CartDto obj) => obj.Total.GetHashCode();
    }
}
