using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Common.Http;

/// <summary><c>{ "items": [...] }</c> for lists that are not paginated.</summary>
public sealed record ItemsResponse<T>(IReadOnlyList<T> Items);

/// <summary>Problem-details results with the statuses and wording every endpoint shares.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    public static ValidationProblem Validation(ValidationErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), title: "One or more validation errors occurred.");

    public static ValidationProblem Validation(string field, string message) => Validation(ValidationErrors.For(field, message));
}
