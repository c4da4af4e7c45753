using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Orders.Settlement;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Admin;

public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt);
        admin.MapPut("/products/{id:long}", UpdateProduct).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/shards", GetShards);
        admin.MapPost("/shards/{logicalShard:int}/move", StartMove);
        admin.MapGet("/shards/{logicalShard:int}/move", GetMove).ProducesProblem(StatusCodes.Status404NotFound);
        // Runs a reconciliation pass now (it also runs on a timer): what a crash left half-done, finished.
        admin.MapPost("/reconciliation", async (OrderReconciliation reconciliation, CancellationToken ct) => TypedResults.Ok(await reconciliation.RunOnceAsync(ct)));
        admin.MapGet("/orders/backlog", async (OrderReconciliation reconciliation, CancellationToken ct) => TypedResults.Ok(await reconciliation.BacklogAsync(ct)));
        return api;
    }

    private static async Task<Ok<ShardsView>> GetShards(ShardMapStore maps, CancellationToken cancellationToken)
    {
        var (map, moves) = await maps.ReadAsync(cancellationToken);
        var layout = map.PhysicalDatabases.Select((name, index) =>
            new ShardLayout(name, Enumerable.Range(0, map.LogicalShardCount).Where(l => map.Assignments[l] == index).ToList())).ToList();
        return TypedResults.Ok(new ShardsView(map.Version, layout, moves));
    }

    /// <summary>Starts moving a logical shard (202); follow it at the Location, which answers with its steps and outcome.</summary>
    private static Results<Accepted<ShardMoveStatus>, ValidationProblem> StartMove(int logicalShard, ShardMoveRequest request, ShardMoveRunner runner) =>
        runner.Start(logicalShard, request) switch
        {
            ShardMoveStart.Started started => TypedResults.Accepted($"/api/v1/admin/shards/{logicalShard}/move", started.Status),
            ShardMoveStart.Invalid invalid => Problems.Validation(invalid.Errors),
            _ => throw new InvalidOperationException("Unknown outcome."),
        };

    private static Results<Ok<ShardMoveStatus>, ProblemHttpResult> GetMove(int logicalShard, ShardMoveRunner runner) =>
        runner.Status(logicalShard) is { } status
            ? TypedResults.Ok(status)
            : Problems.NotFound($"This instance has not moved logical shard {logicalShard} since it started.");

    private static async Task<Results<Ok<Product>, ValidationProblem, ProblemHttpResult>> UpdateProduct(
        long id, ProductUpdate update, ProductAdministration administration, CancellationToken cancellationToken) =>
        await administration.UpdateAsync(id, update, cancellationToken) switch
        {
            ProductUpdateOutcome.Updated updated => TypedResults.Ok(updated.Product),
            ProductUpdateOutcome.Invalid invalid => Problems.Validation(invalid.Errors),
            _ => Problems.NotFound($"There is no product {id}."),
        };
}

public static class AdminExtensions
{
    public static IServiceCollection AddAdmin(this IServiceCollection services) =>
        services.AddSingleton<ProductAdministration>().AddSingleton<ShardMoveRunner>();
}
