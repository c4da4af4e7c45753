using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ScaleShop.ServiceDefaults;

/// <summary>
/// Turns the framework's binding failures into problem details that name the field: malformed JSON and
/// wrong types (from the JSON path), unparsable route or query values (from the parameter name), and
/// bodies over the size limit (413).
/// </summary>
public sealed partial class BadRequestProblemHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        ProblemDetails problem = badRequest.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Request body too large",
                Detail = "The request body exceeds the size this endpoint accepts.",
            },
            StatusCodes.Status415UnsupportedMediaType => new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
                Detail = "Send the body as application/json.",
            },
            _ => ValidationProblem(badRequest),
        };

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static HttpValidationProblemDetails ValidationProblem(BadHttpRequestException exception)
    {
        var (field, message) = exception.InnerException switch
        {
            JsonException { Path: { Length: > 0 } path } => (JsonPathToField(path), "The value is missing, malformed or of the wrong type."),
            JsonException => ("body", "The request body is not valid JSON."),
            _ when ParameterName().Match(exception.Message) is { Success: true } match => (match.Groups["name"].Value, $"The value '{match.Groups["value"].Value}' is not valid."),
            _ when exception.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => ("body", "A JSON request body is required."),
            _ => ("request", exception.Message),
        };

        return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
        };
    }

    // "$.items[0].quantity" -> "items[0].quantity"; "$" (the whole body) -> "body".
    private static string JsonPathToField(string path)
    {
        var field = path.TrimStart('$').TrimStart('.');
        return field.Length == 0 ? "body" : field;
    }

    [GeneratedRegex("""Failed to bind parameter "(?:[^"]*\s)?(?<name>[A-Za-z_][A-Za-z0-9_]*)" from "(?<value>[^"]*)".""")]
    private static partial Regex ParameterName();
}
