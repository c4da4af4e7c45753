using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Recommendations;

public sealed record RecommendationsResponse(IReadOnlyList<ProductSummary> Items, string Source);

public static class RecommendationsApi
{
    public static RouteGroupBuilder MapRecommendationsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/recommendations", Get).WithTags("Recommendations").WithJourney(Journeys.Recommendations).WithPriority(RequestPriority.Low).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>Anonymous or signed in: a bearer token, when sent, makes the picks personal.</summary>
    private static async Task<Results<Ok<RecommendationsResponse>, ValidationProblem, ProblemHttpResult>> Get(
        long? productId, int? limit, ClaimsPrincipal user, RecommendationService recommendations, CancellationToken cancellationToken)
    {
        var outcome = await recommendations.RecommendAsync(user.UserId()?.Value, productId, limit, cancellationToken);
        return outcome switch
        {
            RecommendationOutcome.Recommended r => TypedResults.Ok(new RecommendationsResponse(r.Items, r.Source)),
            RecommendationOutcome.Invalid invalid => Problems.Validation(invalid.Errors),
            RecommendationOutcome.UnknownProduct unknown => Problems.NotFound($"There is no product {unknown.ProductId}."),
            _ => throw new InvalidOperationException("Unhandled recommendation outcome."),
        };
    }
}
