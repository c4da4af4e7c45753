using System.Collections.Frozen;

namespace ScaleShop.Data.Sharding;

/// <summary>
/// This process's view of where user data lives: the newest shard map it has seen and the logical shards
/// whose writes are paused by a move in progress. Installed by <see cref="ShardMapStore"/> (at start-up
/// and on every poll); read on every shard access, so reading it costs one volatile load.
/// </summary>
public sealed class ShardRouting
{
    private volatile View? _view;
    private volatile TaskCompletionSource _changed = NewSignal();
    private volatile TaskCompletionSource _refreshRequested = NewSignal();

    public bool IsLoaded => _view is not null;

    public ShardMap Map => (_view ?? throw new InvalidOperationException(
        "The shard map is not loaded yet: DatabaseMigrator.MigrateAllAsync loads it from the catalog at start-up.")).Map;

    public bool AnyPaused => _view?.Paused.Count > 0;

    public bool IsPaused(int logicalShard) => _view?.Paused.Contains(logicalShard) == true;

    /// <summary>
    /// Takes a map and the paused shards as read from the catalog. A map older than the one already held is
    /// ignored (a lagging read must never route users back to where their data was).
    /// </summary>
    public bool Install(ShardMap map, IEnumerable<int> paused)
    {
        ArgumentNullException.ThrowIfNull(map);
        var current = _view;
        if (current is not null && map.Version < current.Map.Version)
        {
            return false;
        }

        var pausedSet = paused.ToFrozenSet();
        if (current is not null && map.Version == current.Map.Version && pausedSet.SetEquals(current.Paused))
        {
            return false;
        }

        _view = new View(map, pausedSet);
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
        return true;
    }

    /// <summary>
    /// A write met a fence: this process's map is stale or a move has just frozen the shard. Treat the shard
    /// as paused until the catalog says otherwise, and ask for that answer now rather than at the next poll.
    /// </summary>
    public void ReportFenced(int logicalShard)
    {
        if (_view is { } current && !current.Paused.Contains(logicalShard))
        {
            _view = current with { Paused = current.Paused.Append(logicalShard).ToFrozenSet() };
        }

        _refreshRequested.TrySetResult();
    }

    /// <summary>Completes when a write met a fence (for the poller, which then reads the catalog at once).</summary>
    public Task RefreshRequested => _refreshRequested.Task;

    public void AcknowledgeRefreshRequest() => Interlocked.Exchange(ref _refreshRequested, NewSignal());

    /// <summary>Waits while <paramref name="logicalShard"/> is paused, up to <paramref name="deadline"/>; false when it is still paused then.</summary>
    public async ValueTask<bool> WaitUntilWritableAsync(int logicalShard, DateTimeOffset deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        while (IsPaused(logicalShard))
        {
            var changed = _changed.Task;
            if (!IsPaused(logicalShard))
            {
                break;
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await changed.WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return !IsPaused(logicalShard);
            }
        }

        return true;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record View(ShardMap Map, FrozenSet<int> Paused);
}
