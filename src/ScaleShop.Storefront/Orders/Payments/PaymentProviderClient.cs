using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using ScaleShop.Data;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Orders.Payments;

/// <summary>A payment as the provider reports it.</summary>
public sealed record ProviderPayment(string Id, string Reference, long AmountCents, string Currency, string Status, long CapturedCents, long RefundedCents,
    DateTimeOffset CreatedAt = default);

/// <summary>A page of the provider's payments; <see cref="Next"/> is the cursor of the following page (null: the last).</summary>
public sealed record ProviderPaymentPage(IReadOnlyList<ProviderPayment> Items, string? Next);

/// <summary>What a call to the provider came to. <see cref="Unavailable"/> means the outcome is unknown: retry later with the same key.</summary>
public abstract record PaymentResult
{
    public sealed record Succeeded(ProviderPayment Payment) : PaymentResult;

    /// <summary>The issuer said no (402): a business outcome, final for this key.</summary>
    public sealed record Declined(string? PaymentId) : PaymentResult;

    /// <summary>The provider refused the request as it stands (4xx other than 402): final for this key.</summary>
    public sealed record Rejected(int Status, string Detail) : PaymentResult;

    /// <summary>Timed out, failed or the breaker is open: the provider may or may not have acted.</summary>
    public sealed record Unavailable(string Reason) : PaymentResult;
}

/// <summary>
/// The payment provider, a third party, through one typed HttpClient. Every state-changing call carries an
/// Idempotency-Key, which is what makes the resilience pipeline's retries safe: a retried authorization the
/// provider already performed answers with the same payment, never a second one.
/// </summary>
public sealed class PaymentProviderClient(HttpClient http)
{
    private const string KeyHeader = "Idempotency-Key";

    /// <summary>Authorizes <paramref name="amountCents"/>; with <paramref name="capture"/> the provider captures it in the same step.</summary>
    public Task<PaymentResult> AuthorizeAsync(string idempotencyKey, long amountCents, string currency, string reference, CancellationToken cancellationToken, bool capture = false) =>
        SendAsync(HttpMethod.Post, "v1/authorizations", idempotencyKey, new { amountCents, currency, reference, capture }, cancellationToken);

    public Task<PaymentResult> CaptureAsync(string paymentId, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/payments/{Uri.EscapeDataString(paymentId)}/capture", idempotencyKey, new { }, cancellationToken);

    public Task<PaymentResult> RefundAsync(string paymentId, string idempotencyKey, long? amountCents, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/payments/{Uri.EscapeDataString(paymentId)}/refund", idempotencyKey, new { amountCents }, cancellationToken);

    public Task<PaymentResult> VoidAsync(string paymentId, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/payments/{Uri.EscapeDataString(paymentId)}/void", idempotencyKey, new { }, cancellationToken);

    /// <summary>Every payment the provider holds for a merchant reference (an order id): what reconciliation compares with.</summary>
    public async Task<IReadOnlyList<ProviderPayment>?> FindByReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            var list = await http.GetFromJsonAsync<PaymentListBody>($"v1/payments?reference={Uri.EscapeDataString(reference)}", cancellationToken);
            return list?.Items ?? [];
        }
        catch (Exception exception) when (IsUnavailable(exception, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>
    /// The provider's payments still holding money (captured, not all refunded) created in [<paramref name="from"/>,
    /// <paramref name="until"/>), a page after <paramref name="after"/>; null when the provider cannot be asked.
    /// </summary>
    public async Task<ProviderPaymentPage?> OutstandingCapturesAsync(DateTimeOffset from, DateTimeOffset until, string? after, int limit, CancellationToken cancellationToken)
    {
        var query = $"v1/captures/outstanding?from={Uri.EscapeDataString(from.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}"
            + $"&until={Uri.EscapeDataString(until.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}&limit={limit}"
            + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
        try
        {
            return await http.GetFromJsonAsync<ProviderPaymentPage>(query, cancellationToken);
        }
        catch (Exception exception) when (IsUnavailable(exception, cancellationToken))
        {
            return null;
        }
    }

    private async Task<PaymentResult> SendAsync(HttpMethod method, string path, string idempotencyKey, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(KeyHeader, idempotencyKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new PaymentResult.Succeeded((await response.Content.ReadFromJsonAsync<ProviderPayment>(cancellationToken))!);
            }

            var problem = await response.Content.ReadFromJsonAsync<ProblemBody>(cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.PaymentRequired => new PaymentResult.Declined(problem?.PaymentId),
                >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests =>
                    new PaymentResult.Unavailable($"{(int)response.StatusCode} {problem?.Detail}"),
                _ => new PaymentResult.Rejected((int)response.StatusCode, problem?.Detail ?? response.ReasonPhrase ?? ""),
            };
        }
        catch (Exception exception) when (IsUnavailable(exception, cancellationToken))
        {
            return new PaymentResult.Unavailable(exception.GetType().Name + ": " + exception.Message);
        }
    }

    private static bool IsUnavailable(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or System.Text.Json.JsonException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private sealed record ProblemBody(string? Title, string? Detail, string? PaymentId);

    private sealed record PaymentListBody(List<ProviderPayment> Items);
}

/// <summary>Where the payment provider is and how patiently it is called (section <c>Payments</c>).</summary>
public sealed class PaymentOptions
{
    public const string SectionName = "Payments";

    [Required]
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:5090/");

    /// <summary>One attempt longer than this is abandoned (and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A call, with all its retries, longer than this is given up: the checkout goes on without an answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(6);

    [Range(1, 10)]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; later ones double, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:30")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The breaker opens when this share of calls fails within <see cref="BreakerSamplingDuration"/> (and at least <see cref="BreakerMinimumThroughput"/> calls were made).</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the breaker stays open: calls fail at once, without reaching the provider.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bulkhead: calls in flight at most per instance; more are refused at once rather than queued behind a slow provider.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentCalls { get; set; } = 100;
}

[OptionsValidator]
public sealed partial class PaymentOptionsValidator : IValidateOptions<PaymentOptions>;

public static class PaymentsExtensions
{
    /// <summary>The payment provider's name as a dependency: its circuit, its chaos switch.</summary>
    public const string DependencyName = "payments";

    /// <summary>
    /// The typed client with its own pipeline (the service defaults' standard one replaced): bulkhead, total
    /// timeout, retries with exponential backoff and jitter on transient failures (safe: every call carries an
    /// Idempotency-Key), a circuit breaker, and a per-attempt timeout.
    /// </summary>
    public static IServiceCollection AddPaymentProvider(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<PaymentOptions, PaymentOptionsValidator>(configuration, PaymentOptions.SectionName);
        services.AddDependencyResilience(configuration); // circuit states and the chaos switchboard
        // RemoveAllResilienceHandlers is marked experimental (EXTEXP0001); it is the documented way to replace
        // the standard pipeline the service defaults put on every client, rather than stacking a second one.
#pragma warning disable EXTEXP0001
        services.AddHttpClient<PaymentProviderClient>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<PaymentOptions>>().Value.BaseUrl)
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var payments = sp.GetRequiredService<IOptions<PaymentOptions>>().Value;
                resilience.RateLimiter.DefaultRateLimiterOptions.PermitLimit = payments.MaxConcurrentCalls;
                resilience.RateLimiter.DefaultRateLimiterOptions.QueueLimit = 0;
                resilience.TotalRequestTimeout.Timeout = payments.TotalTimeout;
                resilience.AttemptTimeout.Timeout = payments.AttemptTimeout;
                resilience.Retry.MaxRetryAttempts = payments.MaxRetryAttempts;
                resilience.Retry.Delay = payments.RetryBaseDelay;
                resilience.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
                resilience.Retry.UseJitter = true;
                resilience.CircuitBreaker.FailureRatio = payments.BreakerFailureRatio;
                resilience.CircuitBreaker.MinimumThroughput = payments.BreakerMinimumThroughput;
                resilience.CircuitBreaker.SamplingDuration = payments.BreakerSamplingDuration;
                resilience.CircuitBreaker.BreakDuration = payments.BreakerBreakDuration;
                resilience.CircuitBreaker.StateProvider = sp.GetRequiredService<CircuitStates>().For(DependencyName);
            })
            .Services.AddHttpClient<PaymentProviderClient>()
            // Innermost, so the retries, breaker and timeouts above meet injected faults as they would real ones.
            .AddResilienceHandler("payments-chaos", (builder, context) =>
                builder.AddHttpDependencyChaos(DependencyName, context.ServiceProvider.GetRequiredService<ChaosSwitchboard>(),
                    () => new HttpRequestException("Chaos: injected failure of the payment provider.")));
#pragma warning restore EXTEXP0001
        services.AddThirdPartyHealthCheck<PaymentOptions>(DependencyName, payments => payments.BaseUrl,
            "orders are accepted as pending_payment and settle when it answers");
        return services;
    }
}
