using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Cluster.Autoscaling;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Migrations;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Cluster.Versions;
using Microsoft.Extensions.Options;

namespace ScaleShop.Cluster.Control;

public sealed record ClusterStatus(
    string Phase, string? Message, string PublicUrl, string GatewayAdminUrl, string? CurrentVersion, WarmView? Warm,
    IReadOnlyList<InstanceView> Instances, IReadOnlyList<FixedPartView> FixedParts, RolloutView? Rollout, AutoscaleView Autoscale);

public sealed record WarmView(string Version, DateTimeOffset Until, IReadOnlyList<string> Instances);

public sealed record DeployRequest(string? Version);

public sealed record ScaleRequest(int? Instances);

public sealed record AutoscaleRequest(bool? Enabled);

/// <summary>
/// The controller's control API on loopback (<c>Cluster:ControlUrl</c>), behind the key in <c>&lt;state&gt;/control.key</c>.
/// Thin: every change is the <see cref="ClusterController"/>'s; errors are problem details naming the field.
/// </summary>
public static class ControlApi
{
    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/cluster").AddEndpointFilter(RequireControlKey);
        api.MapGet("/", Status);
        api.MapGet("/versions", (VersionStore versions) => TypedResults.Ok(versions.List().Select(PublishedVersion.Of).ToList()));
        api.MapPost("/deployments", Deploy);
        api.MapGet("/deployments/current", (ClusterController controller) =>
            controller.LastRollout is { } rollout ? Results.Ok(rollout.View()) : Results.Problem("No rollout has run yet.", statusCode: StatusCodes.Status404NotFound));
        api.MapPost("/migrations/check", CheckMigrations);
        api.MapPost("/rollback", Rollback);
        api.MapPut("/scale", Scale);
        api.MapPut("/autoscale", (AutoscaleRequest request, AutoscaleLoop autoscaler) =>
        {
            if (request.Enabled is not { } enabled)
            {
                return Invalid("enabled", "Say true or false.");
            }

            autoscaler.Enabled = enabled;
            return Results.Ok(autoscaler.View);
        });
        api.MapPost("/shutdown", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return TypedResults.Accepted((string?)null);
        });
        return endpoints;
    }

    private static Ok<ClusterStatus> Status(ClusterController controller, StorefrontFleet fleet, FixedParts parts, AutoscaleLoop autoscaler, IOptions<ClusterOptions> options)
    {
        var warm = controller.Warm is { } w ? new WarmView(w.Version, w.Until, w.Instances.Select(i => i.Id).ToList()) : null;
        return TypedResults.Ok(new ClusterStatus(controller.Phase.ToString(), controller.Message, options.Value.PublicUrl.ToString(), options.Value.GatewayAdminUrl.ToString(),
            controller.CurrentVersion, warm, fleet.Instances.Select(i => i.View()).ToList(), parts.View(), controller.LastRollout?.View(), autoscaler.View));
    }

    private static IResult Deploy(DeployRequest request, ClusterController controller)
    {
        if (string.IsNullOrWhiteSpace(request.Version) || !VersionStore.IsValidName(request.Version))
        {
            return Invalid("version", "A published version's name is required.");
        }

        try
        {
            var rollout = controller.BeginDeploy(request.Version);
            return Results.Accepted("/api/cluster/deployments/current", rollout.View());
        }
        catch (VersionNotFoundException exception)
        {
            return Invalid("version", exception.Message, StatusCodes.Status404NotFound);
        }
        catch (ClusterBusyException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static IResult CheckMigrations(DeployRequest request, ClusterController controller)
    {
        if (string.IsNullOrWhiteSpace(request.Version) || !VersionStore.IsValidName(request.Version))
        {
            return Invalid("version", "A published version's name is required.");
        }

        try
        {
            MigrationCheckResult result = controller.CheckMigrations(request.Version);
            return Results.Ok(result);
        }
        catch (VersionNotFoundException exception)
        {
            return Invalid("version", exception.Message, StatusCodes.Status404NotFound);
        }
        catch (ClusterBusyException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static async Task<IResult> Rollback(ClusterController controller, CancellationToken cancellationToken)
    {
        try
        {
            return Results.Ok(await controller.RollbackAsync(cancellationToken));
        }
        catch (ClusterBusyException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static async Task<IResult> Scale(ScaleRequest request, ClusterController controller, IOptions<AutoscaleLoopOptions> _, CancellationToken cancellationToken)
    {
        if (request.Instances is not (>= 1 and <= 32) || request.Instances is not { } instances)
        {
            return Invalid("instances", "Between 1 and 32.");
        }

        try
        {
            await controller.ScaleAsync(instances, cancellationToken);
            return Results.Ok(new { instances = controller.ServingCount });
        }
        catch (ClusterBusyException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static IResult Invalid(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        status == StatusCodes.Status400BadRequest
            ? Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] })
            : Results.Problem(message, statusCode: status, extensions: new Dictionary<string, object?> { ["field"] = field });

    private static async ValueTask<object?> RequireControlKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var secrets = context.HttpContext.RequestServices.GetRequiredService<ClusterSecrets>();
        var presented = context.HttpContext.Request.Headers.Authorization.ToString();
        var expected = "Bearer " + secrets.ControlKey;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
        {
            return Results.Problem("The control API needs Authorization: Bearer <the key in the state folder's control.key>.", statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }
}
