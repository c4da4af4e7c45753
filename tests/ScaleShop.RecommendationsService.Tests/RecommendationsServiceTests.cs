using System.Net;
using System.Text.Json;

namespace ScaleShop.RecommendationsService.Tests;

/// <summary>The service's model and contract, over real HTTP, on its real SQLite store.</summary>
public sealed class RecommendationsServiceTests(RecommendationsServiceApp service) : IClassFixture<RecommendationsServiceApp>, IAsyncLifetime
{
    private static long _nextEventId;

    private sealed record AnswerDto(List<long> ProductIds, string Source);

    private sealed record IngestedDto(int Applied, int Duplicates);

    public ValueTask InitializeAsync() => new(service.SetFaultsAsync());

    public ValueTask DisposeAsync() => new(service.SetFaultsAsync());

    private static object Order(long userId, params long[] products) =>
        new { id = Interlocked.Increment(ref _nextEventId), userId, occurredAt = DateTimeOffset.UtcNow, lines = products.Select(p => new { productId = p, quantity = 1 }).ToArray() };

    private async Task<IngestedDto> IngestAsync(params object[] events)
    {
        using var client = service.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/order-events", new { events }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<IngestedDto>(TestContext.Current.CancellationToken))!;
    }

    private async Task<AnswerDto> RecommendAsync(string query)
    {
        using var client = service.CreateClient();
        var response = await client.GetAsync($"/v1/recommendations?{query}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AnswerDto>(TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task Customers_also_bought_ranks_by_how_often_products_were_in_the_same_order()
    {
        var p = RecommendationsServiceApp.TakeIds(4);
        var users = RecommendationsServiceApp.TakeIds(3);
        await IngestAsync(Order(users, p, p + 1), Order(users + 1, p, p + 1, p + 2), Order(users + 2, p, p + 2, p + 1), Order(users + 2, p + 3));

        var related = await RecommendAsync($"productId={p}&limit=5");
        Assert.Equal("related", related.Source);
        Assert.Equal([p + 1, p + 2], related.ProductIds); // p+1 with p three times, p+2 twice, p+3 never
    }

    [Fact]
    public async Task Personal_picks_come_from_what_the_user_bought_and_leave_out_what_they_own()
    {
        var p = RecommendationsServiceApp.TakeIds(4);
        var users = RecommendationsServiceApp.TakeIds(3);
        var shopper = users;
        await IngestAsync(Order(users + 1, p, p + 1), Order(users + 2, p, p + 2), Order(users + 2, p + 1, p + 2), Order(shopper, p), Order(shopper, p + 3));

        var picks = await RecommendAsync($"userId={shopper}&limit=10");
        Assert.Equal("personalized", picks.Source);
        Assert.Contains(p + 1, picks.ProductIds);
        Assert.Contains(p + 2, picks.ProductIds);
        Assert.DoesNotContain(p, picks.ProductIds);
        Assert.DoesNotContain(p + 3, picks.ProductIds);
    }

    [Fact]
    public async Task A_best_seller_that_goes_with_everything_does_not_crowd_out_what_is_specific_to_the_user()
    {
        var p = RecommendationsServiceApp.TakeIds(3);
        var users = RecommendationsServiceApp.TakeIds(40);
        var (bought, niche, blockbuster) = (p, p + 1, p + 2);
        var events = new List<object>
        {
            // With the shopper's product: the niche product twice, the blockbuster three times...
            Order(users + 1, bought, niche), Order(users + 2, bought, niche),
            Order(users + 3, bought, blockbuster), Order(users + 4, bought, blockbuster), Order(users + 5, bought, blockbuster),
        };
        // ...but the blockbuster is in thirty other orders too: its co-occurrence says little about this shopper.
        events.AddRange(Enumerable.Range(6, 30).Select(i => Order(users + i, blockbuster)));
        events.Add(Order(users, bought));
        await IngestAsync([.. events]);

        var picks = await RecommendAsync($"userId={users}&limit=2");
        Assert.Equal("personalized", picks.Source);
        Assert.Equal([niche, blockbuster], picks.ProductIds);
    }

    [Fact]
    public async Task An_event_delivered_twice_counts_once()
    {
        var p = RecommendationsServiceApp.TakeIds(2);
        var user = RecommendationsServiceApp.TakeIds(1);
        var order = Order(user, p, p + 1);
        Assert.Equal(new IngestedDto(1, 0), await IngestAsync(order));
        Assert.Equal(new IngestedDto(0, 2), await IngestAsync(order, order));
        var other = Order(user + 1_000_000, p, p + 1);
        Assert.Equal(new IngestedDto(1, 1), await IngestAsync(order, other));

        using var client = service.CreateClient();
        // p+1 was bought with p in two distinct orders, not four deliveries: a third product bought with p three times ranks first.
        var third = RecommendationsServiceApp.TakeIds(1);
        await IngestAsync(Order(user + 2_000_000, p, third), Order(user + 2_000_001, p, third), Order(user + 2_000_002, p, third));
        Assert.Equal([third, p + 1], (await RecommendAsync($"productId={p}&limit=5")).ProductIds);
    }

    [Fact]
    public async Task Without_history_the_answer_is_popular_items()
    {
        var unknownUser = RecommendationsServiceApp.TakeIds(1);
        var p = RecommendationsServiceApp.TakeIds(1);
        await IngestAsync(Order(RecommendationsServiceApp.TakeIds(1), p));
        var answer = await RecommendAsync($"userId={unknownUser}&limit=50");
        // The popular list is re-read at most every 100 ms (the test host's PopularRefresh): give it a few.
        for (var attempt = 0; attempt < 20 && answer.ProductIds.Count == 0; attempt++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            answer = await RecommendAsync($"userId={unknownUser}&limit=50");
        }

        Assert.Equal("popular", answer.Source);
        Assert.NotEmpty(answer.ProductIds);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1000", "limit")]
    [InlineData("userId=-4", "userId")]
    [InlineData("productId=0", "productId")]
    public async Task Bad_queries_are_problems_naming_the_field(string query, string field)
    {
        using var client = service.CreateClient();
        var response = await client.GetAsync($"/v1/recommendations?{query}", TestContext.Current.CancellationToken);
        await AssertFieldErrorAsync(response, field);
    }

    [Fact]
    public async Task A_batch_with_one_bad_event_is_refused_whole_naming_the_field()
    {
        var p = RecommendationsServiceApp.TakeIds(2);
        var good = Order(RecommendationsServiceApp.TakeIds(1), p, p + 1);
        var bad = new { id = Interlocked.Increment(ref _nextEventId), userId = 5, occurredAt = DateTimeOffset.UtcNow, lines = new[] { new { productId = p, quantity = 0 } } };
        using var client = service.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/order-events", new { events = new[] { good, bad } }, TestContext.Current.CancellationToken);
        await AssertFieldErrorAsync(response, "events[1].lines[0].quantity");
        // Nothing of the good event was applied either.
        Assert.NotEqual("related", (await RecommendAsync($"productId={p}")).Source);
        await AssertFieldErrorAsync(await client.PostAsJsonAsync("/v1/order-events", new { }, TestContext.Current.CancellationToken), "events");
    }

    [Fact]
    public async Task Injected_faults_make_it_slow_or_unavailable_and_health_stays_reachable()
    {
        using var client = service.CreateClient();
        await service.SetFaultsAsync(down: true);
        var down = await client.GetAsync("/v1/recommendations", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        await service.SetFaultsAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/recommendations", TestContext.Current.CancellationToken)).StatusCode);
    }

    private static async Task AssertFieldErrorAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {body.RootElement}");
    }
}
