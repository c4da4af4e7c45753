using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Data.Resilience;

namespace ScaleShop.Storefront.Common.Http;

/// <summary>
/// The database aborted this request's transaction to settle a conflict with a concurrent one (a deadlock): that
/// transaction wrote nothing, and a checkout also undoes its earlier steps and frees its idempotency key, so the same
/// request, sent again, can succeed. 503 with a short Retry-After rather than 500, and a warning that names the conflict, because
/// every such conflict is one the lock order was meant to design away.
/// </summary>
public sealed class TransientConflictProblemHandler(
    IProblemDetailsService problemDetails, IDatabaseRouter databases, IOptions<DatabaseResilienceOptions> options, ILogger<TransientConflictProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!databases.Dialect.IsTransientConflict(exception))
        {
            return false;
        }

        logger.LogWarning(exception, "{Method} {Path} answered 503: its transaction lost a conflict with a concurrent one", httpContext.Request.Method, httpContext.Request.Path);
        return await RetryLaterProblems.WriteAsync(problemDetails, httpContext, StatusCodes.Status503ServiceUnavailable, "Conflict with a concurrent request",
            "The database rolled this request's transaction back for a conflict with a concurrent one; send it again (an order with the same Idempotency-Key).", options.Value.ConflictRetryAfter, exception);
    }
}
