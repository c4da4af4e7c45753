using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Observability;

namespace ScaleShop.Storefront.Catalog;

public static class CatalogApi
{
    private const string IdSort = "id";
    private const string PopularSort = "popular";

    public static RouteGroupBuilder MapCatalogApi(this RouteGroupBuilder api)
    {
        var catalog = api.MapGroup("").WithTags("Catalog").WithJourney(Journeys.Browse);
        catalog.MapGet("/categories", GetCategories);
        catalog.MapGet("/products", ListProducts);
        catalog.MapGet("/products/{id:long}", GetProduct).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Ok<ItemsResponse<Category>>> GetCategories(CatalogService catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemsResponse<Category>(await catalog.GetCategoriesAsync(cancellationToken)));

    private static async Task<Results<Ok<Page<ProductSummary>>, ValidationProblem>> ListProducts(
        long? categoryId, int? limit, string? after, string? sort, CatalogService catalog, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(limit, after, partsInCursor: 1, options.Value, errors);
        var popular = string.Equals(sort, PopularSort, StringComparison.Ordinal);
        if (sort is not null && !popular && sort != IdSort)
        {
            errors.Add("sort", $"sort must be '{IdSort}' (default) or '{PopularSort}'.");
        }
        else if (popular && after is not null)
        {
            // Popularity changes between requests, so a cursor into it would skip or repeat products: one page only.
            errors.Add("after", "sort=popular returns one page (the top products); after is not accepted with it.");
        }
        long afterId = 0;
        if (page.After is [var cursor] && (!Cursor.TryReadLong(cursor, out afterId) || afterId < 0))
        {
            errors.Add("after", "after is not a cursor this list returned.");
        }

        if (categoryId is { } category && (category <= 0 || !await catalog.CategoryExistsAsync(category, cancellationToken)))
        {
            errors.Add("categoryId", $"There is no category {category}.");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors);
        }

        return popular
            ? TypedResults.Ok(new Page<ProductSummary>(await catalog.ListPopularAsync(categoryId, page.Limit, cancellationToken), null))
            : TypedResults.Ok(await catalog.ListProductsAsync(categoryId, afterId, page.Limit, cancellationToken));
    }

    private static async Task<Results<Ok<Product>, ProblemHttpResult>> GetProduct(long id, CatalogService catalog, CancellationToken cancellationToken) =>
        await catalog.GetProductAsync(id, cancellationToken) is { } product
            ? TypedResults.Ok(product)
            : Problems.NotFound($"There is no product {id}.");
}
