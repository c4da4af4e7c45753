using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ScaleShop.Gateway.Tests;

/// <summary>
/// A small storefront stand-in on a real Kestrel port: every path answers <c>{name}|{request body}</c>;
/// <c>/health/ready</c> answers 200 or 503 as <see cref="Ready"/> says; every answer echoes the trace context it received
/// (headers <see cref="ReceivedTraceparentHeader"/> and <see cref="ActivityTraceIdHeader"/>); <c>/slow</c> holds its answer until
/// <see cref="ReleaseSlow"/>; <c>/status/{code}</c> answers that code, <c>/empty/{code}</c> with no body; with <see cref="Abort"/> set, every
/// request but the probe has its connection aborted before any answer.
/// </summary>
public sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource _slowGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _hits;
    private bool _stopped;

    private Backend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    /// <summary>The <c>traceparent</c> header the request arrived with (empty when none).</summary>
    public const string ReceivedTraceparentHeader = "X-Received-Traceparent";

    /// <summary>The trace id of the backend's own request activity (empty when it has none).</summary>
    public const string ActivityTraceIdHeader = "X-Activity-Trace-Id";

    public Uri Address { get; private set; } = null!;

    public volatile bool Ready = true;

    public volatile bool Abort;

    /// <summary>Requests that reached this backend (probes not counted).</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Completes when a /slow request has arrived.</summary>
    public Task SlowStarted => _slowStarted.Task;

    public void ReleaseSlow() => _slowGate.TrySetResult();

    public static async Task<Backend> StartAsync(string name)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0"); // Kestrel picks a free port: no race with other test processes
        var app = builder.Build();
        var backend = new Backend(name, app);
        app.MapGet("/health/ready", () => backend.Ready ? Results.Ok("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.Map("/{**path}", backend.AnswerAsync);
        await app.StartAsync();
        backend.Address = new Uri(app.Urls.Single() + "/");
        return backend;
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseSlow();
        await StopAsync();
        await _app.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _hits);
        if (Abort)
        {
            context.Abort();
            return;
        }

        context.Response.Headers[ReceivedTraceparentHeader] = context.Request.Headers.TraceParent.ToString();
        context.Response.Headers[ActivityTraceIdHeader] = System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? "";
        var path = context.Request.Path.Value ?? "/";
        if (path == "/slow")
        {
            _slowStarted.TrySetResult();
            await _slowGate.Task;
        }
        else if (path.StartsWith("/empty/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = int.Parse(path["/empty/".Length..], System.Globalization.CultureInfo.InvariantCulture);
            return;
        }
        else if (path.StartsWith("/status/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = int.Parse(path["/status/".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        await context.Response.WriteAsync($"{Name}|{body}", context.RequestAborted);
    }
}
