using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Common.Http;

/// <summary>
/// A write whose logical shard stayed paused by a move past the longest allowed pause: 503 with Retry-After.
/// Nothing was written, so the client may repeat the request (a checkout with its Idempotency-Key).
/// </summary>
public sealed class ShardPausedProblemHandler(IProblemDetailsService problemDetails, IOptions<StorageOptions> storage) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ShardWritesPausedException paused)
        {
            return false;
        }

        return await RetryLaterProblems.WriteAsync(problemDetails, httpContext, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            $"Your data is being moved between databases (logical shard {paused.LogicalShard}); retry the request shortly.",
            storage.Value.Sharding.MapPollInterval, exception);
    }
}
