using System.Net;
using System.Net.Http.Headers;

namespace ScaleShop.Storefront.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restart_keeps_every_acknowledged_order_and_tokens_stay_valid()
    {
        var directory = StorefrontApp.NewDataDirectory();
        var placed = new List<string>();
        string token;
        await using (var before = new StorefrontApp(directory))
        {
            await before.InitializeAsync();
            var (client, _, _) = await before.NewUserAsync();
            using var _ = client;
            token = client.DefaultRequestHeaders.Authorization!.Parameter!;
            var productId = StorefrontApp.TakeProductId();
            var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (productId, 1))));
            foreach (var response in responses)
            {
                placed.Add((await response.ReadAsync<OrderDto>(HttpStatusCode.Created)).Id);
            }
        }

        await using var restarted = new StorefrontApp(directory, ownsDataDirectory: true);
        await restarted.InitializeAsync();
        using var again = restarted.CreateClient();
        again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var orders = await (await again.GetAsync("/api/v1/orders?limit=100", TestContext.Current.CancellationToken)).ReadAsync<PageDto<OrderDto>>();
        Assert.Equal(placed.Order(), orders.Items.Select(o => o.Id).Order());
    }

    [Fact]
    public async Task Two_instances_over_the_same_data_serve_the_same_users()
    {
        var directory = StorefrontApp.NewDataDirectory();
        await using var first = new StorefrontApp(directory, ownsDataDirectory: true);
        await first.InitializeAsync();
        await using var second = new StorefrontApp(directory);
        await second.InitializeAsync();

        var (client, _, _) = await first.NewUserAsync();
        using var _ = client;
        var order = await (await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).ReadAsync<OrderDto>(HttpStatusCode.Created);

        using var onSecond = second.CreateClient();
        onSecond.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        var fetched = await (await onSecond.GetAsync($"/api/v1/orders/{order.Id}", TestContext.Current.CancellationToken)).ReadAsync<OrderDto>();
        Assert.Equal(order.Total, fetched.Total);
    }
}
