using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.RecommendationsService.Model;

namespace ScaleShop.RecommendationsService;

public sealed record RecommendationsResponse(IReadOnlyList<long> ProductIds, string Source);

public sealed record OrderEventLineBody(long? ProductId, int? Quantity);

public sealed record OrderEventBody(long? Id, long? UserId, DateTimeOffset? OccurredAt, IReadOnlyList<OrderEventLineBody>? Lines);

public sealed record OrderEventsBody(IReadOnlyList<OrderEventBody>? Events);

/// <summary>
/// <c>GET /v1/recommendations?userId=&amp;productId=&amp;limit=</c>: product ids and their source.
/// <c>POST /v1/order-events</c>: confirmed orders, each applied once by its event id (the storefront delivers
/// at least once).
/// </summary>
public static class RecommendationsApi
{
    public static IServiceCollection AddRecommendationModel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecommendationOptions>().Bind(configuration.GetSection(RecommendationOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecommendationOptions>, RecommendationOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RecommendationModel>();
        return services;
    }

    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1").WithTags("Recommendations");
        v1.MapGet("/recommendations", Recommend);
        v1.MapPost("/order-events", Ingest);
        return endpoints;
    }

    private static async Task<Results<Ok<RecommendationsResponse>, ValidationProblem>> Recommend(
        long? userId, long? productId, int? limit, RecommendationModel model, IOptions<RecommendationOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var count = limit ?? options.Value.DefaultLimit;
        if (count < 1 || count > options.Value.MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {options.Value.MaxLimit}."];
        }

        if (userId is <= 0)
        {
            errors["userId"] = ["userId must be a positive id."];
        }

        if (productId is <= 0)
        {
            errors["productId"] = ["productId must be a positive id."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var recommendation = await model.RecommendAsync(userId, productId, count, cancellationToken);
        return TypedResults.Ok(new RecommendationsResponse(recommendation.ProductIds, recommendation.Source));
    }

    private static async Task<Results<Ok<IngestionResult>, ValidationProblem>> Ingest(
        OrderEventsBody body, RecommendationModel model, IOptions<RecommendationOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var events = body.Events ?? [];
        if (body.Events is null)
        {
            errors["events"] = ["events is required."];
        }
        else if (events.Count > options.Value.MaxEventsPerBatch)
        {
            errors["events"] = [$"At most {options.Value.MaxEventsPerBatch} events per request."];
        }

        var orders = new List<ConfirmedOrder>(events.Count);
        for (var i = 0; i < events.Count && errors.Count == 0; i++)
        {
            if (Read(events[i], $"events[{i}]", errors) is { } order)
            {
                orders.Add(order);
            }
        }

        // All or nothing: a batch with one malformed event is refused whole, so nothing is half-applied.
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await model.IngestAsync(orders, cancellationToken));
    }

    private static ConfirmedOrder? Read(OrderEventBody body, string path, Dictionary<string, string[]> errors)
    {
        if (body.Id is not > 0)
        {
            errors[$"{path}.id"] = ["id must be a positive event id."];
        }

        if (body.UserId is not > 0)
        {
            errors[$"{path}.userId"] = ["userId must be a positive id."];
        }

        if (body.OccurredAt is null)
        {
            errors[$"{path}.occurredAt"] = ["occurredAt is required."];
        }

        if (body.Lines is not { Count: > 0 })
        {
            errors[$"{path}.lines"] = ["lines must hold at least one line."];
            return null;
        }

        for (var j = 0; j < body.Lines.Count; j++)
        {
            if (body.Lines[j].ProductId is not > 0)
            {
                errors[$"{path}.lines[{j}].productId"] = ["productId must be a positive id."];
            }

            if (body.Lines[j].Quantity is not > 0)
            {
                errors[$"{path}.lines[{j}].quantity"] = ["quantity must be positive."];
            }
        }

        return errors.Count > 0
            ? null
            : new ConfirmedOrder(body.Id!.Value, body.UserId!.Value, body.OccurredAt!.Value, body.Lines.Select(l => new PurchasedLine(l.ProductId!.Value, l.Quantity!.Value)).ToList());
    }
}
