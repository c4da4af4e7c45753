using Dapper;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Catalog;

/// <summary>Limits of the popularity projection (section <c>Projections</c>).</summary>
public sealed class ProjectionOptions
{
    public const string SectionName = "Projections";

    /// <summary>Orders with more lines than this add no co-purchase pairs (pairs grow with the square of the lines).</summary>
    [System.ComponentModel.DataAnnotations.Range(2, 100)]
    public int MaxLinesForPairs { get; set; } = 12;
}

[OptionsValidator]
public sealed partial class ProjectionOptionsValidator : IValidateOptions<ProjectionOptions>;

/// <summary>
/// Confirmed orders → product popularity (units and orders per product, per category: best-sellers and
/// <c>sort=popular</c>) and co-purchases ("customers also bought"). Eventually consistent: it lags the orders by
/// the outbox and bus delay (metric <c>scaleshop.consumer.lag</c>). A batch is applied in one catalog transaction
/// with its event ids (exactly once in spite of redelivery) and with the increments summed per row first, so a
/// burst of orders for a hot product is one row update per batch, not one per order.
/// </summary>
public sealed class PopularityProjection(IDatabaseRouter databases, ProcessedEvents processed, IOptions<ProjectionOptions> options, TimeProvider time) : IEventConsumer
{
    public string Name => "popularity";

    public bool Handles(string eventType) => eventType == OrderEvents.Confirmed;

    public async Task HandleAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        var orders = events.Select(e => (Event: e, Order: OrderEvents.Read(e))).ToList();
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var fresh = (await processed.ClaimAsync(connection, transaction, Name, events, cancellationToken)).Select(e => e.Id).ToHashSet();
        var applied = orders.Where(o => fresh.Contains(o.Event.Id)).ToList();

        var products = new SortedDictionary<long, (long Units, long Orders)>();
        var pairs = new SortedDictionary<(long, long), long>();
        foreach (var (_, order) in applied)
        {
            foreach (var line in order.Lines)
            {
                var (units, count) = products.GetValueOrDefault(line.ProductId);
                products[line.ProductId] = (units + line.Quantity, count + 1);
            }

            if (order.Lines.Count is > 1 && order.Lines.Count <= options.Value.MaxLinesForPairs)
            {
                foreach (var a in order.Lines)
                {
                    foreach (var b in order.Lines.Where(b => b.ProductId != a.ProductId))
                    {
                        pairs[(a.ProductId, b.ProductId)] = pairs.GetValueOrDefault((a.ProductId, b.ProductId)) + 1;
                    }
                }
            }
        }

        // Sorted keys: concurrent batches (several instances) lock rows in one order and cannot deadlock.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO product_popularity (product_id, category_id, units, orders, updated_at)
            SELECT id, category_id, @units, @orders, @now FROM products WHERE id = @productId
            ON CONFLICT (product_id) DO UPDATE SET units = product_popularity.units + excluded.units,
                orders = product_popularity.orders + excluded.orders, updated_at = excluded.updated_at
            """,
            products.Select(p => new { productId = p.Key, units = p.Value.Units, orders = p.Value.Orders, now }), transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO co_purchases (product_id, other_product_id, orders) VALUES (@productId, @otherId, @orders)
            ON CONFLICT (product_id, other_product_id) DO UPDATE SET orders = co_purchases.orders + excluded.orders
            """,
            pairs.Select(p => new { productId = p.Key.Item1, otherId = p.Key.Item2, orders = p.Value }), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        processed.Report(Name, events, applied.Select(a => a.Event).ToList());
    }
}
