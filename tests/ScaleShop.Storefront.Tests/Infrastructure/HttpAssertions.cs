using System.Net;
using System.Net.Http.Json;

namespace ScaleShop.Storefront.Tests.Infrastructure;

public static class HttpAssertions
{
    /// <summary>Asserts an RFC 7807 answer with the status and returns it.</summary>
    public static async Task<ProblemDto> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemDto>(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        Assert.NotNull(problem);
        Assert.Equal((int)status, problem.Status);
        return problem;
    }

    /// <summary>Asserts a 400 validation problem that names <paramref name="field"/>.</summary>
    public static async Task<ProblemDto> AssertFieldErrorAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem.Errors);
        Assert.True(problem.Errors.ContainsKey(field), $"Expected an error for '{field}', got: {string.Join(", ", problem.Errors.Keys)}");
        return problem;
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    public static Task<HttpResponseMessage> PlaceOrderAsync(this HttpClient client, string? idempotencyKey, params (long ProductId, int Quantity)[] lines)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { items = lines.Select(l => new { productId = l.ProductId, quantity = l.Quantity }) }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> CheckoutAsync(this HttpClient client, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cart/checkout");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    public static async Task<ProductDto> SetStockAsync(this StorefrontApp app, long productId, int stock)
    {
        using var admin = await app.AdminAsync();
        return await (await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new { stock })).ReadAsync<ProductDto>();
    }

    public static async Task<ProductDto> GetProductAsync(this HttpClient client, long productId) =>
        await (await client.GetAsync($"/api/v1/products/{productId}")).ReadAsync<ProductDto>();
}
