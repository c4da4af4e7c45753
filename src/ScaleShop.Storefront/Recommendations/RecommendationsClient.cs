using System.Net.Http.Json;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ScaleShop.Storefront.Recommendations;

/// <summary>What the recommendations service answered: product ids, best first, and how it chose them.</summary>
public sealed record ServiceRecommendation(IReadOnlyList<long> ProductIds, string Source);

/// <summary>
/// The recommendations service's query side, through a pipeline that never makes a page wait past
/// <see cref="RecommendationsOptions.Timeout"/>: bulkhead, breaker, timeout. Null means "no answer in time"
/// (slow, failing, breaker open, bulkhead full): the caller falls back.
/// </summary>
public sealed class RecommendationsClient(HttpClient http, ILogger<RecommendationsClient> logger)
{
    public async Task<ServiceRecommendation?> RecommendAsync(long? userId, long? productId, int limit, CancellationToken cancellationToken)
    {
        var query = $"v1/recommendations?limit={limit}" + (userId is { } u ? $"&userId={u}" : "") + (productId is { } p ? $"&productId={p}" : "");
        try
        {
            return await http.GetFromJsonAsync<ServiceRecommendation>(query, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
            or RateLimiterRejectedException or System.Text.Json.JsonException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogDebug(exception, "Recommendations unavailable; falling back");
            return null;
        }
    }
}

/// <summary>
/// The recommendations service's feed: confirmed orders, delivered at least once (the service applies each
/// event id once). A failure throws, so the bus delivers again later; it never drops an order.
/// </summary>
public sealed class RecommendationsFeedClient(HttpClient http)
{
    public async Task SendAsync(IReadOnlyList<FeedEvent> events, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("v1/order-events", new { events }, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            throw new Messaging.PoisonEventException(events[0].Id, $"The recommendations service refused the events: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        response.EnsureSuccessStatusCode();
    }
}

public sealed record FeedLine(long ProductId, int Quantity);

public sealed record FeedEvent(long Id, long UserId, DateTimeOffset OccurredAt, IReadOnlyList<FeedLine> Lines);
