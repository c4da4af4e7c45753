using System.Data.Common;

namespace ScaleShop.Data.Sharding;

/// <summary>A logical shard's writes stayed paused longer than <see cref="ShardingOptions.MaxWritePause"/> (a move is stuck): retry later.</summary>
public sealed class ShardWritesPausedException(int logicalShard, TimeSpan waited)
    : Exception($"Writes to logical shard {logicalShard} have been paused by a shard move for {waited.TotalSeconds:F1} s.")
{
    public int LogicalShard { get; } = logicalShard;
}

/// <summary>
/// The write path every store uses for user data. A move fences a logical shard on its source database
/// (a trigger refuses the write, so a stale map can never write to the wrong place); the unit of work
/// rolled back whole, so it is safe to run it again once this process has learnt the new layout. The
/// caller sees a short pause, not an error.
/// </summary>
internal static class ShardWrites
{
    public static async Task<T> RunAsync<T>(
        IDatabaseRouter router, int logicalShard, ShardingOptions options, TimeProvider time, DataMetrics metrics,
        Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var deadline = started + options.MaxWritePause;
        while (true)
        {
            if (router.Routing.IsPaused(logicalShard))
            {
                metrics.ShardWriteDelayed(logicalShard, DataMetrics.PausedReason);
            }

            if (!await router.Routing.WaitUntilWritableAsync(logicalShard, deadline, time, cancellationToken))
            {
                throw new ShardWritesPausedException(logicalShard, time.GetUtcNow() - started);
            }

            var connection = await router.OpenShardAsync(logicalShard, DataIntent.Write, cancellationToken);
            try
            {
                return await work(connection, cancellationToken);
            }
            catch (Exception exception) when (router.Dialect.IsShardFenced(exception))
            {
                metrics.ShardWriteDelayed(logicalShard, DataMetrics.FencedReason);
                router.Routing.ReportFenced(logicalShard);
                if (time.GetUtcNow() >= deadline)
                {
                    throw new ShardWritesPausedException(logicalShard, time.GetUtcNow() - started);
                }
            }
            finally
            {
                // Before the next attempt: on SQLite this connection holds its file's write gate.
                await connection.DisposeAsync();
            }
        }
    }
}
