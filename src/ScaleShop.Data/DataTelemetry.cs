using System.Data.Common;
using System.Diagnostics;

namespace ScaleShop.Data;

/// <summary>
/// A span around every way into a database (<c>route shard</c>, <c>route catalog</c>, <c>route database</c>): which
/// logical shard was asked for, which physical database served it, and whether a replica or the primary did —
/// the part of a slow request's trace that a driver's own spans (Npgsql's; SQLite has none) cannot tell.
/// <para>
/// On the hot path: with no listener on the source, opening a connection goes straight to the router (no span,
/// no extra state machine, nothing allocated); a listener that does not sample the trace costs one async frame.
/// </para>
/// </summary>
public static class DataTelemetry
{
    public const string SourceName = "ScaleShop.Data";

    public const string RouteShard = "route shard";
    public const string RouteCatalog = "route catalog";
    public const string RouteDatabase = "route database";

    public const string LogicalShardTag = "scaleshop.shard.logical";
    public const string DatabaseTag = "db.namespace";
    public const string RoleTag = "scaleshop.db.role";
    public const string IntentTag = "scaleshop.db.intent";

    public static readonly ActivitySource Source = new(SourceName);

    // Both providers name the catalog database so.
    private const string CatalogDatabaseName = "catalog";

    /// <summary>Opens through <paramref name="router"/> inside a routing span when someone listens; as is otherwise.</summary>
    internal static ValueTask<DbConnection> OpenAsync<TRouter>(TRouter router, string database, int? logicalShard, DataIntent intent, CancellationToken cancellationToken)
        where TRouter : IRoutedOpen =>
        Source.HasListeners() ? TracedOpenAsync(router, database, logicalShard, intent, cancellationToken) : router.OpenRoutedAsync(database, intent, cancellationToken);

    /// <summary>Records which copy of the database serves this open, on the routing span if one is current.</summary>
    internal static void Served(string role)
    {
        if (Activity.Current is { } current && ReferenceEquals(current.Source, Source))
        {
            current.SetTag(RoleTag, role);
        }
    }

    // Async so that the span is current only for the open itself: the caller's Activity.Current is restored when it returns.
    private static async ValueTask<DbConnection> TracedOpenAsync<TRouter>(TRouter router, string database, int? logicalShard, DataIntent intent, CancellationToken cancellationToken)
        where TRouter : IRoutedOpen
    {
        var name = logicalShard is not null ? RouteShard : database == CatalogDatabaseName ? RouteCatalog : RouteDatabase;
        using var activity = Source.StartActivity(name, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag(DatabaseTag, database);
            activity.SetTag(IntentTag, DataMetrics.IntentName(intent));
            if (logicalShard is { } shard)
            {
                activity.SetTag(LogicalShardTag, shard);
            }
        }

        try
        {
            return await router.OpenRoutedAsync(database, intent, cancellationToken);
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.SetTag("error.type", exception.GetType().FullName);
            throw;
        }
    }
}

/// <summary>A router's open of a named database (catalog or physical shard), behind its resilience pipeline.</summary>
internal interface IRoutedOpen
{
    ValueTask<DbConnection> OpenRoutedAsync(string database, DataIntent intent, CancellationToken cancellationToken);
}
