using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Search;

public static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this RouteGroupBuilder api)
    {
        api.MapGet("/search", Search).WithTags("Search").WithJourney(Journeys.Search);
        return api;
    }

    private static async Task<Results<Ok<Page<ProductSummary>>, ValidationProblem>> Search(
        string? q, int? limit, string? after, SearchService search, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var maxLength = options.Value.SearchQueryMaxLength;
        if (string.IsNullOrWhiteSpace(q) || q.Length > maxLength)
        {
            errors.Add("q", SearchService.QueryLengthMessage(maxLength));
        }

        var page = PageRequest.Parse(limit, after, partsInCursor: 2, options.Value, errors);
        (double, long)? position = null;
        if (page.After is [var rank, var id])
        {
            if (Cursor.TryReadDouble(rank, out var r) && Cursor.TryReadLong(id, out var i))
            {
                position = (r, i);
            }
            else
            {
                errors.Add("after", "after is not a cursor this list returned.");
            }
        }

        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await search.SearchAsync(q!, position, page.Limit, cancellationToken));
    }
}
