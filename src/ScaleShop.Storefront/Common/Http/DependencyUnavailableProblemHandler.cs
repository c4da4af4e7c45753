using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Data.Resilience;

namespace ScaleShop.Storefront.Common.Http;

/// <summary>
/// A database this request needs is unavailable (breaker open, bulkhead full, opening timed out) or a statement
/// gave up waiting (a hung or overloaded server): 503 with Retry-After, so clients back off and retry, instead of
/// a 500. Which database is logged, not told to the client.
/// </summary>
public sealed class DependencyUnavailableProblemHandler(
    IProblemDetailsService problemDetails, IDatabaseRouter databases, IOptions<DatabaseResilienceOptions> options, ILogger<DependencyUnavailableProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DatabaseUnavailableException && !databases.Dialect.IsTimeout(exception))
        {
            return false;
        }

        logger.LogWarning("{Method} {Path} answered 503: {Reason}", httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        return await RetryLaterProblems.WriteAsync(problemDetails, httpContext, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            "A database this request needs is unavailable right now; retry after the time in Retry-After.", options.Value.BreakerBreakDuration, exception);
    }
}
