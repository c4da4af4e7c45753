using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// An OpenTelemetry collector's OTLP/HTTP side, as small as it gets: a real Kestrel server on 127.0.0.1 that accepts
/// POST /v1/traces, /v1/metrics and /v1/logs and keeps each body (protobuf) with its content type. It answers 200 with
/// an empty body: an empty Export*ServiceResponse, "everything accepted".
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private WebApplication _app = null!;

    public sealed record Export(string Signal, string? ContentType, byte[] Body);

    public ConcurrentQueue<Export> Exports { get; } = new();

    /// <summary>The endpoint to give an exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): the signals' paths are appended to it.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<Export> Of(string signal) => [.. Exports.Where(e => e.Signal == signal)];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        (receiver._app, receiver.Endpoint) = await LoopbackServer.StartAsync(app => app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            if (signal is not ("traces" or "metrics" or "logs"))
            {
                return Results.NotFound();
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Exports.Enqueue(new Export(signal, request.ContentType, body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        }));
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
