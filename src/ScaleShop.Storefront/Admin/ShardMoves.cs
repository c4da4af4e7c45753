using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Data.Sharding.Resharding;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Admin;

public sealed record ShardMoveRequest(string? Target, bool? KeepSourceRows);

public sealed record ShardMoveStep(DateTimeOffset At, string Text);

/// <summary>A move started on this instance, as the admin API shows it.</summary>
public sealed record ShardMoveStatus(
    int LogicalShard, string Target, string State, DateTimeOffset StartedAt, IReadOnlyList<ShardMoveStep> Steps,
    int? ToVersion, double? WritePauseMs, long? RowsVerified, string? Error);

public sealed record ShardLayout(string PhysicalDatabase, IReadOnlyList<int> LogicalShards);

public sealed record ShardsView(int Version, IReadOnlyList<ShardLayout> Layout, IReadOnlyList<ShardMove> MovesInProgress);

public abstract record ShardMoveStart
{
    public sealed record Started(ShardMoveStatus Status) : ShardMoveStart;

    public sealed record Invalid(ValidationErrors Errors) : ShardMoveStart;
}

/// <summary>
/// Moves a logical shard from inside the storefront (the admin API). On SQLite this is the way to move one
/// under traffic: the mover's writes then queue on this process's write gates with the storefront's own,
/// where a mover in another process would meet the storefront's writers only through SQLite's busy-wait
/// (sleeps of up to 150 ms for the other shards' writers). The move itself is <see cref="ShardMover"/>; it
/// runs in the background and is not tied to the request that started it.
/// </summary>
public sealed partial class ShardMoveRunner(ShardMover mover, IDatabaseRouter databases, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<ShardMoveRunner> logger)
{
    private readonly ConcurrentDictionary<int, Run> _runs = new();

    public ShardMoveStart Start(int logicalShard, ShardMoveRequest request)
    {
        var errors = new ValidationErrors();
        var map = databases.ShardMap;
        if (logicalShard < 0 || logicalShard >= map.LogicalShardCount)
        {
            errors.Add("logicalShard", $"logicalShard must be between 0 and {map.LogicalShardCount - 1}.");
        }

        if (string.IsNullOrWhiteSpace(request.Target) || !PhysicalName().IsMatch(request.Target))
        {
            errors.Add("target", "target names a physical database (lower-case letters, digits and '_', e.g. shard2).");
        }
        else if (errors.IsEmpty && map.PhysicalDatabaseOf(logicalShard) == request.Target)
        {
            errors.Add("target", $"Logical shard {logicalShard} is already on {request.Target}.");
        }

        if (errors.IsEmpty && _runs.TryGetValue(logicalShard, out var existing) && existing.State == Running)
        {
            errors.Add("logicalShard", $"Logical shard {logicalShard} is already being moved by this instance.");
        }

        if (!errors.IsEmpty)
        {
            return new ShardMoveStart.Invalid(errors);
        }

        var run = new Run(logicalShard, request.Target!, time.GetUtcNow());
        _runs[logicalShard] = run;
        var progress = new Progress<string>(text => run.Step(time.GetUtcNow(), text));
        _ = Task.Run(async () =>
        {
            try
            {
                run.Succeed(await mover.MoveAsync(logicalShard, run.Target, request.KeepSourceRows ?? false, progress, lifetime.ApplicationStopping));
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Moving logical shard {LogicalShard} to {Target} failed", logicalShard, run.Target);
                run.Fail(exception.Message);
            }
        });
        return new ShardMoveStart.Started(run.Status());
    }

    public ShardMoveStatus? Status(int logicalShard) => _runs.TryGetValue(logicalShard, out var run) ? run.Status() : null;

    private const string Running = "running";

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex PhysicalName();

    private sealed class Run(int logicalShard, string target, DateTimeOffset startedAt)
    {
        private readonly Lock _lock = new();
        private readonly List<ShardMoveStep> _steps = [];
        private ShardMoveReport? _report;
        private string? _error;

        public string Target { get; } = target;

        public string State { get; private set; } = Running;

        public void Step(DateTimeOffset at, string text)
        {
            lock (_lock)
            {
                _steps.Add(new ShardMoveStep(at, text));
            }
        }

        public void Succeed(ShardMoveReport report)
        {
            lock (_lock)
            {
                _report = report;
                State = "succeeded";
            }
        }

        public void Fail(string error)
        {
            lock (_lock)
            {
                _error = error;
                State = "failed";
            }
        }

        public ShardMoveStatus Status()
        {
            lock (_lock)
            {
                return new ShardMoveStatus(logicalShard, Target, State, startedAt, _steps.ToList(), _report?.ToVersion,
                    _report?.WritePause.TotalMilliseconds, _report?.Verified.Values.Sum(v => v.Rows), _error);
            }
        }
    }
}
