using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data;

/// <summary>Keeps every replica's replay position and health current, so that routing a read costs no round trip.</summary>
public sealed class ReplicaMonitor(IDatabaseRouter databases, IOptions<StorageOptions> options, TimeProvider time, ILogger<ReplicaMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (databases.Provider != StorageOptions.PostgresProvider)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Postgres.ReplicaPollInterval, time);
        do
        {
            try
            {
                await databases.RefreshReplicasAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Reading replica positions failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
