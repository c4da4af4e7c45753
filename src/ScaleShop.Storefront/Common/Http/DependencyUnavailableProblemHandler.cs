using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Resilience;

namespace ScaleShop.Storefront.Common.Http;

/// <summary>
/// A database this request needs is unavailable (breaker open, bulkhead full, timed out): 503 with Retry-After,
/// so clients back off and retry, instead of a 500. Which database is logged, not told to the client.
/// </summary>
public sealed class DependencyUnavailableProblemHandler(IProblemDetailsService problemDetails, IOptions<DatabaseResilienceOptions> options, ILogger<DependencyUnavailableProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DatabaseUnavailableException unavailable)
        {
            return false;
        }

        logger.LogWarning("{Method} {Path} answered 503: {Reason}", httpContext.Request.Method, httpContext.Request.Path, unavailable.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.Value.BreakerBreakDuration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable",
                Detail = "A database this request needs is unavailable right now; retry after the time in Retry-After.",
            },
        });
    }
}
