using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// Keeps this instance on the newest shard map: reads it from the catalog every
/// <see cref="ShardingOptions.MapPollInterval"/>, faster while a shard it routes to is paused (so the pause
/// ends as soon as the map flips), and at once when a write met a fence.
/// </summary>
public sealed class ShardMapMonitor(ShardMapStore store, ShardRouting routing, IOptions<StorageOptions> options, TimeProvider time, ILogger<ShardMapMonitor> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sharding = options.Value.Sharding;
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = routing.AnyPaused ? sharding.PausedMapPollInterval : sharding.MapPollInterval;
            try
            {
                await routing.RefreshRequested.WaitAsync(interval, time, stoppingToken);
            }
            catch (TimeoutException)
            {
                // The regular poll.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            routing.AcknowledgeRefreshRequest();
            if (!routing.IsLoaded)
            {
                continue; // start-up has not migrated and loaded the map yet
            }

            try
            {
                var version = routing.Map.Version;
                if (await store.RefreshAsync(stoppingToken) && routing.Map.Version != version)
                {
                    logger.LogInformation("Routing by shard map version {Version} (was {Previous})", routing.Map.Version, version);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Keep routing by the map we have: it stays right until a move, and a move's fences make
                // any write that a stale map sends to the wrong place fail safely.
                logger.LogWarning(exception, "Reading the shard map from the catalog failed");
            }
        }
    }
}
