using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using ScaleShop.Gateway.Destinations;
using ScaleShop.Gateway.Traffic;

namespace ScaleShop.Gateway.Proxy;

/// <summary>
/// The first step of the proxy pipeline, around load balancing, forwarding and passive health:
/// <list type="number">
/// <item>keeps draining and weight-0 destinations out of the choice;</item>
/// <item>retries on another destination when an attempt failed before any byte of an answer reached the client
/// (refused, reset, vanished) and the request is idempotent — GET, HEAD, OPTIONS, PUT, DELETE, or any request with
/// an <c>Idempotency-Key</c> — up to <see cref="GatewayOptions.MaxAttempts"/>, with its body buffered up to
/// <see cref="GatewayOptions.MaxRetryBodyBytes"/>. An HTTP answer (a 503 from load shedding too) is never retried:
/// it is the instance's answer;</item>
/// <item>answers a final proxy failure with problem details;</item>
/// <item>records the request once, against the destination that produced the final answer.</item>
/// </list>
/// </summary>
public sealed partial class ProxyAttempts(IOptions<GatewayOptions> options, TrafficRecorder traffic, IProblemDetailsService problemDetails, ILogger<ProxyAttempts> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var started = Stopwatch.GetTimestamp();
        var proxy = context.GetReverseProxyFeature();
        var settings = options.Value;
        var maxAttempts = IsIdempotent(context.Request) && await TryBufferBodyAsync(context.Request, settings.MaxRetryBodyBytes) ? settings.MaxAttempts : 1;
        var candidates = TakingNewRequests(proxy.AvailableDestinations);
        var attempts = 0;
        try
        {
            while (true)
            {
                attempts++;
                proxy.AvailableDestinations = candidates;
                await next();

                var error = context.Features.Get<IForwarderErrorFeature>();
                if (error is null || attempts >= maxAttempts || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested
                    || !IsRetryable(error.Error) || proxy.ProxiedDestination is not { } failed)
                {
                    break;
                }

                candidates = [.. candidates.Where(destination => !ReferenceEquals(destination, failed))];
                if (candidates.Count == 0)
                {
                    break;
                }

                LogRetry(logger, context.Request.Method, failed.DestinationId, error.Error, attempts + 1);
                traffic.RecordRetry(DestinationInfo.Of(failed).Version);
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear(); // status back to 200: YARP forwards only a response nothing has been set on
                if (context.Request.Body.CanSeek)
                {
                    context.Request.Body.Position = 0;
                }
            }

            await AnswerProxyFailureAsync(context, attempts);
        }
        finally
        {
            var destination = proxy.ProxiedDestination;
            var errorAfterStart = context.Response.HasStarted && TransportFailuresHealthPolicy.IsDestinationFailure(context.Features.Get<IForwarderErrorFeature>()?.Error);
            traffic.Record(destination?.DestinationId, destination is null ? null : DestinationInfo.Of(destination).Version, context.Response.StatusCode, errorAfterStart, started);
        }
    }

    /// <summary>Safe to send twice: idempotent by method, or made so by the client's Idempotency-Key.</summary>
    public static bool IsIdempotent(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
        || HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method)
        || !string.IsNullOrWhiteSpace(request.Headers[IdempotencyKeyHeader]);

    /// <summary>The attempt failed before the destination could have answered: the request may go elsewhere.</summary>
    private static bool IsRetryable(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestBodyDestination;

    private static IReadOnlyList<DestinationState> TakingNewRequests(IReadOnlyList<DestinationState> available)
    {
        for (var i = 0; i < available.Count; i++)
        {
            if (!DestinationInfo.Of(available[i]).TakesNewRequests)
            {
                return [.. available.Where(destination => DestinationInfo.Of(destination).TakesNewRequests)];
            }
        }

        return available;
    }

    /// <summary>
    /// Reads a body of known size up to <paramref name="limit"/> into memory so that another attempt can send it
    /// again; false (send once) for a larger body or one of unknown size.
    /// </summary>
    private static async ValueTask<bool> TryBufferBodyAsync(HttpRequest request, int limit)
    {
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return true;
        }

        if (request.ContentLength is not { } length || length > limit)
        {
            return false;
        }

        request.EnableBuffering(bufferThreshold: limit, bufferLimit: limit);
        await request.Body.DrainAsync(request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        return true;
    }

    private async Task AnswerProxyFailureAsync(HttpContext context, int attempts)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { } error || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var (title, detail) = error.Error switch
        {
            ForwarderError.NoAvailableDestinations => ("No storefront instance available", "Every instance is draining, weighted 0 or unhealthy."),
            ForwarderError.RequestTimedOut => ("Storefront instance timed out", "The instance made no progress within the gateway's request timeout."),
            _ => ("Storefront instance failed", "The instance failed before answering."),
        };
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = context.Response.StatusCode,
                Title = title,
                Detail = detail,
                Extensions = { ["attempts"] = attempts, ["error"] = error.Error.ToString() },
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying {Method} on another destination after {Destination} failed with {Error} (attempt {Attempt})")]
    private static partial void LogRetry(ILogger logger, string method, string destination, ForwarderError error, int attempt);
}
