using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>A team's paging endpoint: a real HTTP server on 127.0.0.1 that keeps every delivery (exact body bytes and headers).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresToGive;

    private WebhookReceiver(WebApplication app) => _app = app;

    public sealed record Delivery(string Team, byte[] Body, string? Signature, string? DeliveryId, string? Event, DateTimeOffset ReceivedAt);

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Answer the next <paramref name="count"/> deliveries with 500, as a paging service having a bad minute.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresToGive, count);

    public Uri HookFor(string team) => new(BaseAddress, $"/hooks/{team}");

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{team}", async (string team, HttpRequest request) =>
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
        });
        await app.StartAsync();
        receiver.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
