using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>A team's paging endpoint: a real HTTP server on 127.0.0.1 that keeps every delivery (exact body bytes and headers).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication _app = null!;
    private int _failuresToGive;

    public sealed record Delivery(string Team, byte[] Body, string? Signature, string? DeliveryId, string? Event, DateTimeOffset ReceivedAt);

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Answer the next <paramref name="count"/> deliveries with 500, as a paging service having a bad minute.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresToGive, count);

    public Uri HookFor(string team) => new(BaseAddress, $"/hooks/{team}");

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        (receiver._app, receiver.BaseAddress) = await LoopbackServer.StartAsync(app => app.MapPost("/hooks/{team}", async (string team, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            if (Interlocked.Decrement(ref receiver._failuresToGive) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status500InternalServerError);
            }

            receiver.Deliveries.Enqueue(new Delivery(team, body.ToArray(), request.Headers["X-ScaleShop-Signature"], request.Headers["X-ScaleShop-Delivery"],
                request.Headers["X-ScaleShop-Event"], DateTimeOffset.UtcNow));
            return Results.Ok();
        }));
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
