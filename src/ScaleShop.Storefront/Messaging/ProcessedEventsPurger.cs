using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Keeps <c>processed_events</c> bounded by traffic, not history: ids older than
/// <see cref="MessagingOptions.ProcessedEventRetention"/> are forgotten every <see cref="MessagingOptions.ProcessedEventPurgeInterval"/>. Redelivery that late does not
/// happen: JetStream redelivers within its ack wait, and the outbox republishes within minutes.
/// </summary>
public sealed class ProcessedEventsPurger(IDatabaseRouter databases, IOptions<MessagingOptions> options, TimeProvider time, ILogger<ProcessedEventsPurger> logger) : BackgroundService
{
    public async Task<int> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        return await ProcessedEvents.PurgeAsync(connection, time.GetUtcNow() - options.Value.ProcessedEventRetention, cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.Value.ProcessedEventPurgeInterval, time, logger, "Purging processed event ids", PurgeOnceAsync, stoppingToken);
}
