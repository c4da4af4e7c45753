using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ScaleShop.Deployment.Canary;

namespace ScaleShop.Cluster.Gateway;

public sealed record GatewayDestination(string Id, string Address, string Version, int Weight, string State, bool Healthy, int InFlight);

public sealed record GatewayDestinations(IReadOnlyList<GatewayDestination> Destinations);

public sealed record TrafficCounters(long Requests, long Failures, IReadOnlyList<long> LatencyCounts);

public sealed record DestinationTraffic(string Version, long Requests, long Failures, IReadOnlyList<long> LatencyCounts);

/// <summary><c>GET /admin/traffic</c>: cumulative since the gateway started; each client request counted once, failures are 5xx the client saw.</summary>
public sealed record GatewayTraffic(
    DateTimeOffset Since, IReadOnlyList<double> LatencyBoundsMs,
    IReadOnlyDictionary<string, TrafficCounters> Versions, IReadOnlyDictionary<string, DestinationTraffic> Destinations, TrafficCounters? Unrouted)
{
    /// <summary>Every client request, those no destination could take included (the load the fleet was asked to carry).</summary>
    public long TotalRequests => Versions.Values.Sum(v => v.Requests) + (Unrouted?.Requests ?? 0);

    /// <summary>One version's counters as the canary analysis reads them (zero when it has taken no request yet).</summary>
    public TrafficWindow Window(string version) =>
        Versions.TryGetValue(version, out var counters)
            ? new TrafficWindow(counters.Requests, counters.Failures, new LatencyBuckets(LatencyBoundsMs, counters.LatencyCounts))
            : TrafficWindow.Empty(LatencyBoundsMs);
}

/// <summary>The gateway's admin API (its own port, a bearer key): where traffic goes, and what it saw.</summary>
public sealed class GatewayClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public GatewayClient(Uri adminUrl, string adminKey, TimeSpan timeout)
    {
        _http = new HttpClient { BaseAddress = adminUrl, Timeout = timeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public async Task<IReadOnlyList<GatewayDestination>> DestinationsAsync(CancellationToken cancellationToken) =>
        (await _http.GetFromJsonAsync<GatewayDestinations>("admin/destinations", Json, cancellationToken))?.Destinations ?? [];

    /// <summary>Adds or updates a destination; a draining one becomes active again.</summary>
    public async Task PutAsync(string id, Uri address, string version, int weight, CancellationToken cancellationToken)
    {
        using var response = await _http.PutAsJsonAsync($"admin/destinations/{Uri.EscapeDataString(id)}", new { address = address.ToString(), version, weight }, Json, cancellationToken);
        await EnsureAsync(response, $"PUT destination {id}", cancellationToken);
    }

    /// <summary>No new requests to it; those in flight finish (watch <see cref="GatewayDestination.InFlight"/>).</summary>
    public async Task DrainAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"admin/destinations/{Uri.EscapeDataString(id)}/drain", content: null, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureAsync(response, $"drain destination {id}", cancellationToken);
        }
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync($"admin/destinations/{Uri.EscapeDataString(id)}", cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureAsync(response, $"remove destination {id}", cancellationToken);
        }
    }

    public async Task<GatewayTraffic> TrafficAsync(CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<GatewayTraffic>("admin/traffic", Json, cancellationToken)
        ?? throw new InvalidDataException("The gateway answered an empty traffic report.");

    /// <summary>True once the admin API answers (the gateway is up).</summary>
    public async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("admin/destinations", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"Gateway: {what} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}", null, response.StatusCode);
        }
    }
}
