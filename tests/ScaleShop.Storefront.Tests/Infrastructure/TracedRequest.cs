using System.Diagnostics;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>A request that carries a W3C <c>traceparent</c> of a fresh trace, as a traced caller's would.</summary>
public static class TracedRequest
{
    /// <summary>GETs <paramref name="path"/> (which must succeed) under a new trace; returns the trace id sent.</summary>
    public static async Task<ActivityTraceId> GetAsync(Uri address, string path, CancellationToken cancellationToken)
    {
        var traceId = ActivityTraceId.CreateRandom();
        // No propagator: this test process's own HttpClient tracing would otherwise replace our traceparent with its own.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        (await client.SendAsync(request, cancellationToken)).EnsureSuccessStatusCode();
        return traceId;
    }
}
