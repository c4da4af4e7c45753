using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.Slo;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Observability;

public sealed record JourneySeries(string Journey, IReadOnlyList<SeriesPoint> Points);

public sealed record JourneySeriesResponse(double BucketSeconds, IReadOnlyList<JourneySeries> Journeys);

/// <summary>What operators read: this instance's objectives, budgets and alerts, and its journeys' recent traffic.</summary>
public static class OpsApi
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder endpoints)
    {
        var ops = endpoints.MapGroup("/api/ops").WithTags("Operations").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt);
        ops.MapGet("/slo", (SloObjectives objectives, JourneyWindows windows, TimeProvider time) =>
            TypedResults.Ok(SloEvaluator.Evaluate(objectives, windows, time.GetUtcNow())));
        ops.MapGet("/journeys", Series);
        return endpoints;
    }

    private static Results<Ok<JourneySeriesResponse>, ValidationProblem> Series(int? minutes, JourneyWindows windows, IOptions<SloOptions> options, TimeProvider time)
    {
        var span = TimeSpan.FromMinutes(minutes ?? 15);
        if (minutes is not null && (minutes < 1 || span > options.Value.SeriesSpan))
        {
            return Problems.Validation("minutes", $"minutes must be between 1 and {options.Value.SeriesSpan.TotalMinutes:0} (the span kept).");
        }

        var now = time.GetUtcNow();
        return TypedResults.Ok(new JourneySeriesResponse(windows.BucketWidth.TotalSeconds,
            windows.Journeys.Select(journey => new JourneySeries(journey, windows.Series(journey, span, now))).ToList()));
    }
}
