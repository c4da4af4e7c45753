using System.Globalization;

namespace ScaleShop.Storefront.Common.Http;

/// <summary>
/// The answer for "not now, try again": a status (429, 503), a Retry-After in whole seconds (at least 1) and
/// problem details. Shared by the rate limiter, load shedding and the handlers of unavailable dependencies.
/// </summary>
public static class RetryLaterProblems
{
    public static ValueTask<bool> WriteAsync(IProblemDetailsService problems, HttpContext context, int status, string title, string detail,
        TimeSpan retryAfter, Exception? exception = null)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
