using System.Net;
using Microsoft.AspNetCore.WebUtilities;

namespace ScaleShop.Storefront.Web;

/// <summary>
/// Problem details for a person: a page request that fails (a shard down, a timeout, an unexpected error) gets a
/// short HTML page with the same status, title, detail and Retry-After the API would send as JSON, not a JSON
/// document in the browser. First among the writers, and only for page requests that accept HTML; the API
/// keeps its RFC 7807 JSON.
/// </summary>
public sealed class HtmlProblemDetailsWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context)
    {
        var request = context.HttpContext.Request;
        return !request.Path.StartsWithSegments(WebExtensions.ApiPathPrefix)
            && request.Headers.Accept.Any(accept => accept is not null && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase));
    }

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        var status = problem.Status ?? http.Response.StatusCode;
        var title = problem.Title ?? ReasonPhrases.GetReasonPhrase(status);
        var detail = problem.Detail ?? "The page could not be shown. Please try again in a moment.";
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{Encode(title)} · ScaleShop</title><link rel="icon" href="data:,"></head>
            <body>
            <main id="main">
            <h1>{Encode(title)}</h1>
            <p id="status-message">{Encode(detail)}</p>
            <p><a href="/">Back to the shop</a></p>
            </main>
            </body>
            </html>
            """, http.RequestAborted);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
