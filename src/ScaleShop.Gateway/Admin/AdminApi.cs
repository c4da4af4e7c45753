using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ScaleShop.Gateway.Destinations;
using ScaleShop.Gateway.Traffic;

namespace ScaleShop.Gateway.Admin;

/// <summary>The body of <c>PUT /admin/destinations/{id}</c>.</summary>
public sealed record PutDestinationRequest(string? Address, string? Version, int? Weight);

/// <summary>
/// The controller's API, on the admin listener only and with <c>Authorization: Bearer {Gateway:AdminKey}</c>:
/// list, create or change, drain and remove destinations; read the traffic counters.
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints, GatewayOptions options)
    {
        var adminPort = new Uri(options.AdminUrl).Port;
        var admin = endpoints.MapGroup("/admin").WithTags("Admin")
            // Routing matches these on the admin port only, so on the public port /admin/* goes to the storefront;
            // the filter refuses a public-port request whose Host header names the admin port.
            .RequireHost($"*:{adminPort}")
            .AddEndpointFilter(new AdminGate(adminPort, options.AdminKey));

        admin.MapGet("/destinations", (DestinationCatalog catalog) => TypedResults.Ok(catalog.List()));
        admin.MapPut("/destinations/{id}", Put);
        admin.MapPost("/destinations/{id}/drain", Results<Accepted<DestinationView>, NotFound> (string id, DestinationCatalog catalog) =>
            catalog.Drain(id) is { } drained ? TypedResults.Accepted((string?)null, drained) : TypedResults.NotFound());
        admin.MapDelete("/destinations/{id}", Results<NoContent, NotFound> (string id, DestinationCatalog catalog) =>
            catalog.Remove(id) ? TypedResults.NoContent() : TypedResults.NotFound());
        admin.MapGet("/traffic", (TrafficRecorder traffic) => TypedResults.Ok(traffic.Report()));
        return endpoints;
    }

    private static Results<Ok<DestinationView>, ValidationProblem> Put(string id, PutDestinationRequest? body, DestinationCatalog catalog)
    {
        var errors = body is null
            ? new Dictionary<string, string[]>(StringComparer.Ordinal) { ["body"] = ["A JSON body { address, version, weight } is required."] }
            : DestinationRules.Validate(id, body.Address, body.Version, body.Weight);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(catalog.Put(id, body!.Address!, body.Version!, body.Weight!.Value));
    }

    /// <summary>The admin port, then the bearer key (compared in constant time): 404 elsewhere, 401 without the key.</summary>
    private sealed class AdminGate(int adminPort, string adminKey) : IEndpointFilter
    {
        private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + adminKey);

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            if (http.Connection.LocalPort != adminPort)
            {
                return ValueTask.FromResult<object?>(TypedResults.NotFound());
            }

            var presented = Encoding.UTF8.GetBytes(http.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return ValueTask.FromResult<object?>(TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: "Send Authorization: Bearer with the gateway's admin key."));
            }

            return next(context);
        }
    }
}
