using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Common.Http;

namespace ScaleShop.Storefront.Resilience;

/// <summary>
/// The storefront's protection from its own clients: a token bucket per client (429), a concurrency ceiling per
/// request priority (503, shedding recommendations first and checkout last), and a timeout on every request.
/// </summary>
public static class ServiceProtectionExtensions
{
    private const string SubjectClaim = "sub";
    private const int ReplenishmentsPerSecond = 10;

    public static IServiceCollection AddServiceProtection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ServiceProtectionOptions, ServiceProtectionOptionsValidator>(configuration, ServiceProtectionOptions.SectionName);
        services.AddSingleton<PriorityAdmission>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ServiceProtectionOptions>>((rateLimiter, protection) =>
        {
            var limits = protection.Value;
            rateLimiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, limits));
            rateLimiter.OnRejected = (rejection, cancellationToken) =>
            {
                var retryAfter = rejection.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.RetryAfter;
                return new ValueTask(WriteProblemAsync(rejection.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    "This client sent more requests than its rate allows; retry after the time in Retry-After.", retryAfter));
            };
        });
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ServiceProtectionOptions>>((forwarded, protection) =>
        {
            // Only the client address: the scheme and host are the storefront's own behind any gateway.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            foreach (var network in protection.Value.TrustedProxyNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddRequestTimeouts(_ => { });
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<ServiceProtectionOptions>>((timeouts, protection) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy { Timeout = protection.Value.RequestTimeout, TimeoutStatusCode = StatusCodes.Status504GatewayTimeout });
        return services;
    }

    /// <summary>After authentication (the rate limit's partition is the signed-in user), before the endpoints.</summary>
    public static WebApplication UseServiceProtection(this WebApplication app)
    {
        // Before the limiter: behind a trusted gateway the client's address is the forwarded one.
        app.UseForwardedHeaders();
        app.UseRateLimiter();
        var admission = app.Services.GetRequiredService<PriorityAdmission>();
        var retryAfter = app.Services.GetRequiredService<IOptions<ServiceProtectionOptions>>().Value.RetryAfter;
        app.Use(async (context, next) =>
        {
            var priority = PriorityOf(context);
            if (priority == RequestPriority.Exempt)
            {
                await next(context);
                return;
            }

            if (!admission.TryEnter(priority))
            {
                await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Overloaded",
                    $"This instance is at its limit for {priority.ToString().ToLowerInvariant()}-priority requests; retry after the time in Retry-After.", retryAfter);
                return;
            }

            try
            {
                await next(context);
            }
            finally
            {
                admission.Leave();
            }
        });
        app.UseRequestTimeouts();
        return app;
    }

    private static RequestPriority PriorityOf(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments(ServiceDefaults.ServiceDefaultsExtensions.MetricsPath) ? RequestPriority.Exempt
            : context.GetEndpoint()?.Metadata.GetMetadata<RequestPriorityMetadata>()?.Priority ?? RequestPriority.Normal;

    private static RateLimitPartition<string> Partition(HttpContext context, ServiceProtectionOptions limits)
    {
        if (!limits.RateLimitingEnabled || PriorityOf(context) == RequestPriority.Exempt)
        {
            return RateLimitPartition.GetNoLimiter("exempt");
        }

        return context.User.FindFirstValue(SubjectClaim) is { } user
            ? RateLimitPartition.GetTokenBucketLimiter("user:" + user, _ => Bucket(limits.UserRequestsPerSecond, limits.UserBurst))
            : RateLimitPartition.GetTokenBucketLimiter("address:" + context.Connection.RemoteIpAddress, _ => Bucket(limits.AnonymousRequestsPerSecond, limits.AnonymousBurst));
    }

    // Refilled ten times a second rather than once, so a client at its rate is not refused for most of each second.
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = Math.Max(1, perSecond / ReplenishmentsPerSecond),
        ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / (perSecond >= ReplenishmentsPerSecond ? ReplenishmentsPerSecond : perSecond)),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail, TimeSpan retryAfter) =>
        RetryLaterProblems.WriteAsync(context.RequestServices.GetRequiredService<IProblemDetailsService>(), context, status, title, detail, retryAfter).AsTask();
}
