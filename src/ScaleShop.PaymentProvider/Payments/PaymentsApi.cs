using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.ServiceDefaults.Faults;

namespace ScaleShop.PaymentProvider.Payments;

public sealed class PaymentProviderOptions
{
    public const string SectionName = "PaymentProvider";

    /// <summary>Folder of the provider's own database (payments.db).</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine("data", "payment-provider");

    /// <summary>Largest amount one authorization may take, in cents.</summary>
    [Range(1, long.MaxValue)]
    public long MaxAmountCents { get; set; } = 100_000_000;
}

[OptionsValidator]
public sealed partial class PaymentProviderOptionsValidator : IValidateOptions<PaymentProviderOptions>;

/// <summary>
/// <c>POST /v1/authorizations</c>, <c>POST /v1/payments/{id}/capture | refund | void</c>: each with an
/// <c>Idempotency-Key</c> header (required), answered the same way every time the same request is repeated.
/// <c>GET /v1/payments/{id}</c>, <c>GET /v1/payments?reference=</c> for the storefront's reconciliation, and
/// <c>GET /v1/captures/outstanding?from=&amp;until=&amp;after=&amp;limit=</c> for its sweep of the provider's side.
/// </summary>
public static class PaymentsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxKeyLength = 200;

    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PaymentProviderOptions>().Bind(configuration.GetSection(PaymentProviderOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentProviderOptions>, PaymentProviderOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PaymentLedger>();
        return services;
    }

    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1").WithTags("Payments");
        v1.MapPost("/authorizations", Authorize);
        v1.MapPost("/payments/{id}/capture", (string id, AmountRequest? body, HttpRequest request, PaymentLedger ledger, CancellationToken ct) =>
            WithKey(request, key => ledger.CaptureAsync(key, id, body?.AmountCents, ct)));
        v1.MapPost("/payments/{id}/refund", (string id, AmountRequest? body, HttpRequest request, PaymentLedger ledger, CancellationToken ct) =>
            WithKey(request, key => ledger.RefundAsync(key, id, body?.AmountCents, ct)));
        v1.MapPost("/payments/{id}/void", (string id, HttpRequest request, PaymentLedger ledger, CancellationToken ct) =>
            WithKey(request, key => ledger.VoidAsync(key, id, ct)));
        v1.MapGet("/payments/{id}", async Task<Results<Ok<Payment>, ProblemHttpResult>> (string id, PaymentLedger ledger, CancellationToken ct) =>
            await ledger.GetAsync(id, ct) is { } payment ? TypedResults.Ok(payment) : TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"There is no payment {id}."));
        v1.MapGet("/payments", async Task<Results<Ok<PaymentList>, ValidationProblem>> (string? reference, PaymentLedger ledger, CancellationToken ct) =>
            string.IsNullOrWhiteSpace(reference)
                ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reference"] = ["reference is required."] })
                : TypedResults.Ok(new PaymentList(await ledger.ByReferenceAsync(reference, ct))));
        v1.MapGet("/captures/outstanding", OutstandingCaptures);
        endpoints.MapGet("/admin/ledger", (PaymentLedger ledger, CancellationToken ct) => ledger.LedgerAsync(ct)).WithTags("Admin");
        return endpoints;
    }

    private const int MaxListed = 1000;

    /// <summary>Payments still holding money, created in [from, until), a page at a time; <c>next</c> is the cursor of the following page.</summary>
    private static async Task<Results<Ok<CapturePage>, ValidationProblem>> OutstandingCaptures(DateTimeOffset? from, DateTimeOffset? until, string? after, int? limit,
        PaymentLedger ledger, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is null || until is null || until <= from)
        {
            errors["until"] = ["from and until (ISO 8601) are required, until after from."];
        }

        if (limit is not null and not (>= 1 and <= MaxListed))
        {
            errors["limit"] = [$"limit must be between 1 and {MaxListed}."];
        }

        (long CreatedAt, string Id) cursor = (long.MinValue, "");
        if (after is not null && !TryParseCursor(after, out cursor))
        {
            errors["after"] = ["after is the next cursor of a previous page."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var take = limit ?? 100;
        var items = await ledger.OutstandingCapturesAsync(from!.Value, until!.Value, cursor.CreatedAt, cursor.Id, take, ct);
        var next = items.Count == take ? $"{items[^1].CreatedAt.ToUnixTimeMilliseconds()}:{items[^1].Id}" : null;
        return TypedResults.Ok(new CapturePage(items, next));
    }

    private static bool TryParseCursor(string text, out (long CreatedAt, string Id) cursor)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        cursor = (0, "");
        if (colon <= 0 || !long.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var createdAt))
        {
            return false;
        }

        cursor = (createdAt, text[(colon + 1)..]);
        return true;
    }

    private static Task<IResult> Authorize(AuthorizeRequest body, HttpRequest request, PaymentLedger ledger, FaultSettings faults, IOptions<PaymentProviderOptions> options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.AmountCents is not { } amount || amount <= 0 || amount > options.Value.MaxAmountCents)
        {
            errors["amountCents"] = [$"amountCents must be between 1 and {options.Value.MaxAmountCents}."];
        }

        if (body.Currency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
        {
            errors["currency"] = ["currency is a three-letter ISO 4217 code in capitals, e.g. USD."];
        }

        if (string.IsNullOrWhiteSpace(body.Reference) || body.Reference.Length > 200)
        {
            errors["reference"] = ["reference (the merchant's order reference) is required, at most 200 characters."];
        }

        return errors.Count > 0
            ? Task.FromResult<IResult>(TypedResults.ValidationProblem(errors))
            : WithKey(request, key => ledger.AuthorizeAsync(key, body.AmountCents!.Value, body.Currency!, body.Reference!, body.Capture ?? false, faults.ShouldDecline(), ct));
    }

    private static async Task<IResult> WithKey(HttpRequest request, Func<string, Task<Outcome>> operation)
    {
        var key = request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length is 0 or > MaxKeyLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyKeyHeader] = [$"Send an {IdempotencyKeyHeader} header of 1 to {MaxKeyLength} characters."] });
        }

        var outcome = await operation(key);
        return TypedResults.Content(outcome.Body, outcome.Status >= 400 ? "application/problem+json" : "application/json", statusCode: outcome.Status);
    }
}
