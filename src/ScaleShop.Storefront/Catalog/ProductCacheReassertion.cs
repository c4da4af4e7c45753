using System.Threading.Channels;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Caching;

namespace ScaleShop.Storefront.Catalog;

/// <summary>Products changed by an admin, each due to be written to the cache once more a little later.</summary>
public sealed class ProductCacheReassertions
{
    private readonly Channel<(long ProductId, DateTimeOffset Due)> _queue = Channel.CreateUnbounded<(long, DateTimeOffset)>(new UnboundedChannelOptions { SingleReader = true });

    public void Schedule(long productId, DateTimeOffset due) => _queue.Writer.TryWrite((productId, due));

    public ChannelReader<(long ProductId, DateTimeOffset Due)> Due => _queue.Reader;
}

/// <summary>
/// Closes the last gap of the no-stale-set rule. A cache load compares versions when it finishes, but its
/// write can still land (in Redis, from another instance) a moment after an admin's write of a newer
/// version. So after <see cref="CachingOptions.StaleSetGuardDelay"/> the instance that made the change reads
/// the product from the primary and writes it again (never over a higher version): whatever slipped in
/// between is overwritten, on every instance through the backplane.
/// </summary>
public sealed class ProductCacheReassertionWorker(
    ProductCacheReassertions reassertions, CatalogService catalog, TimeProvider time, ILogger<ProductCacheReassertionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (productId, due) in reassertions.Due.ReadAllAsync(stoppingToken))
        {
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            try
            {
                await catalog.ReassertProductAsync(productId, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The entry then expires on its own within the product cache duration.
                logger.LogWarning(exception, "Writing product {ProductId} to the cache again failed", productId);
            }
        }
    }
}
