using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Caching;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Messaging;
using ZiggyCreatures.Caching.Fusion;

namespace ScaleShop.Storefront.Search;

/// <summary>
/// product.changed → the search read model (<c>search_documents</c>). Eventually consistent: a renamed product
/// is found by its new name once the event is applied (lag: <c>scaleshop.consumer.lag</c>, consumer
/// <c>search-index</c>). A batch is applied in one catalog transaction with its event ids (exactly once in spite
/// of redelivery); within a batch only a product's newest change is written, and a change older than the
/// document (delivered late) is skipped, so the model converges on the newest text whatever the order of
/// delivery. Cached search pages are evicted once the model has changed (on every instance, with a backplane),
/// and once more after <see cref="CachingOptions.StaleSetGuardDelay"/>: a search that read the old model just
/// before the change and cached its page just after the first eviction would otherwise serve it for a minute.
/// </summary>
public sealed class SearchIndexProjection(
    IDatabaseRouter databases, ISearchStore search, ProcessedEvents processed, IFusionCache cache, IOptions<CachingOptions> caching,
    TimeProvider time, ILogger<SearchIndexProjection> logger) : IEventConsumer
{
    public string Name => "search-index";

    public bool Handles(string eventType) => eventType == ProductEvents.Changed;

    public async Task HandleAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        var changes = events.Select(e => (Event: e, Change: ProductEvents.Read(e))).ToList();
        int applied;
        IReadOnlyList<IntegrationEvent> fresh;
        await using (var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken))
        {
            await using var transaction = databases.BeginWriteTransaction(connection);
            fresh = await processed.ClaimAsync(connection, transaction, Name, events, cancellationToken);
            var freshIds = fresh.Select(e => e.Id).ToHashSet();
            var newest = changes.Where(c => freshIds.Contains(c.Event.Id))
                .GroupBy(c => c.Change.ProductId)
                .Select(g => g.MaxBy(c => c.Change.Version).Change)
                .OrderBy(c => c.ProductId) // one lock order for concurrent batches
                .ToList();
            applied = await search.ApplyAsync(connection, transaction, newest, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        processed.Report(Name, events, fresh);
        if (applied > 0)
        {
            await cache.RemoveByTagAsync(CatalogService.SearchTag, token: cancellationToken);
            _ = EvictAgainAsync();
        }
    }

    private async Task EvictAgainAsync()
    {
        try
        {
            await Task.Delay(caching.Value.StaleSetGuardDelay, time);
            await cache.RemoveByTagAsync(CatalogService.SearchTag);
        }
        catch (Exception exception)
        {
            // The first eviction happened; this one only closes a race. Entries still expire on their own.
            logger.LogWarning(exception, "The second eviction of search pages failed");
        }
    }
}
