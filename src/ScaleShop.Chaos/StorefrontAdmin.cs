using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScaleShop.Data.Seeding;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Chaos;

/// <summary>
/// What the runner asks of the storefront over its public and admin HTTP API: an admin session, the shard map,
/// the circuit breakers, an order as its owner sees it.
/// </summary>
public sealed class StorefrontAdmin(HttpClient http)
{
    private string? _adminToken;

    public HttpClient Http => http;

    /// <summary>The admin session's bearer token (null before <see cref="SignInAsAdminAsync"/>), handed to runbook drills.</summary>
    public string? AdminToken => _adminToken;

    public async Task SignInAsAdminAsync(string email, string password, CancellationToken cancellationToken) =>
        _adminToken = await SignInAsync(email, password, cancellationToken)
            ?? throw new InvalidOperationException($"The admin {email} could not sign in: check --admin-email and --admin-password (the storefront's Admin__Email and Admin__Password).");

    public async Task<string?> SignInAsync(string email, string password, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/sessions", new SignInBody(email, password), ChaosJsonContext.Default.SignInBody, cancellationToken);
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync(ChaosJsonContext.Default.TokenBody, cancellationToken))?.AccessToken : null;
    }

    /// <summary>
    /// Which physical database each seeded user's data is on: the placement function the service uses (the
    /// normalised email's hash, stable by contract) over the map the service routes by now.
    /// </summary>
    public async Task<Func<int, string?>> ShardLocatorAsync(CancellationToken cancellationToken)
    {
        var view = await GetAdminAsync("/api/v1/admin/shards", ChaosJsonContext.Default.ShardsBody, cancellationToken);
        var byLogical = new Dictionary<int, string>();
        foreach (var layout in view.Layout)
        {
            foreach (var logical in layout.LogicalShards)
            {
                byLogical[logical] = layout.PhysicalDatabase;
            }
        }

        var count = byLogical.Count;
        return user => byLogical.GetValueOrDefault(ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(Seeder.SeedEmail(user)), count));
    }

    public async Task<IReadOnlyDictionary<string, string>> CircuitsAsync(CancellationToken cancellationToken) =>
        (await GetAdminAsync("/api/v1/admin/resilience", ChaosJsonContext.Default.ResilienceBody, cancellationToken)).Circuits;

    /// <summary>The order as its owner sees it: its status, or null when the service says there is no such order of theirs (404).</summary>
    public async Task<OrderLookup> OrderAsync(string orderId, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{Uri.EscapeDataString(orderId)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new OrderLookup(OrderLookupResult.NotFound, null);
        }

        if (!response.IsSuccessStatusCode)
        {
            return new OrderLookup(OrderLookupResult.Unanswered, $"http_{(int)response.StatusCode}");
        }

        var order = await response.Content.ReadFromJsonAsync(ChaosJsonContext.Default.OrderBody, cancellationToken);
        return new OrderLookup(OrderLookupResult.Found, order?.Status);
    }

    public async Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, Uri url, JsonElement body, bool asAdmin, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(body.GetRawText(), new MediaTypeHeaderValue("application/json")) };
        if (asAdmin)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken);
        }

        return await http.SendAsync(request, cancellationToken);
    }

    private async Task<T> GetAdminAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken ?? throw new InvalidOperationException("Sign in as admin first."));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(type, cancellationToken) ?? throw new InvalidDataException($"{path} answered null.");
    }
}

public enum OrderLookupResult
{
    Found,
    NotFound,
    Unanswered,
}

public sealed record OrderLookup(OrderLookupResult Result, string? StatusOrError);

internal sealed record SignInBody(string Email, string Password);

internal sealed record TokenBody(string? AccessToken);

internal sealed record ShardsBody(int Version, List<ShardLayoutBody> Layout);

internal sealed record ShardLayoutBody(string PhysicalDatabase, List<int> LogicalShards);

internal sealed record ResilienceBody(Dictionary<string, string> Circuits);

internal sealed record OrderBody(string? Id, string? Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SignInBody))]
[JsonSerializable(typeof(TokenBody))]
[JsonSerializable(typeof(ShardsBody))]
[JsonSerializable(typeof(ResilienceBody))]
[JsonSerializable(typeof(OrderBody))]
internal sealed partial class ChaosJsonContext : JsonSerializerContext;
