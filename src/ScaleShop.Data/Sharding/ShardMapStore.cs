using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data.Sharding;

/// <summary>A logical shard being moved, as recorded in the catalog.</summary>
public sealed record ShardMove(int LogicalShard, string Source, string Target, string State, DateTimeOffset StartedAt);

/// <summary>
/// The shard map's home: versioned rows in the catalog database. The first version is written once, when
/// the catalog is new, from the configured counts; from then on configuration can never re-route existing
/// users (only a move publishes a new version). Every instance reads the newest version and the moves in
/// progress into its <see cref="ShardRouting"/>.
/// </summary>
public sealed class ShardMapStore(IDatabaseRouter databases, IOptions<StorageOptions> options, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Writes version 1 if the catalog has no map yet (instances starting together agree on one), then loads.</summary>
    public async Task<ShardMap> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        var storage = options.Value;
        var initial = ShardMap.CreateDefault(storage.LogicalShards, storage.PhysicalShards);
        await using (var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO shard_map_versions (version, document, reason, created_at) VALUES (1, @document, 'initial layout', @now) ON CONFLICT DO NOTHING",
                new { document = JsonSerializer.Serialize(initial, Json), now = time.GetUtcNow().ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken));
        }

        await RefreshAsync(cancellationToken);
        return databases.Routing.Map;
    }

    /// <summary>Reads the newest map and the paused shards from the catalog's primary into this process's routing.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var (map, moves) = await ReadAsync(cancellationToken);
        return databases.Routing.Install(map, moves.Where(m => m.State == ShardMoveStates.Frozen).Select(m => m.LogicalShard));
    }

    public async Task<(ShardMap Map, IReadOnlyList<ShardMove> Moves)> ReadAsync(CancellationToken cancellationToken)
    {
        // The primary, not a replica: an instance must not learn of a flip later than it has to.
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var document = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT document FROM shard_map_versions ORDER BY version DESC LIMIT 1", cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException("The catalog holds no shard map: run the migrations (DatabaseMigrator.MigrateAllAsync).");
        var moves = await connection.QueryAsync<MoveRow>(new CommandDefinition(
            "SELECT logical_shard AS LogicalShard, source AS Source, target AS Target, state AS State, started_at AS StartedAt FROM shard_moves ORDER BY logical_shard",
            cancellationToken: cancellationToken));
        return (Deserialize(document), moves.Select(m => m.ToMove()).ToList());
    }

    public async Task<IReadOnlyList<(long Version, string Reason, DateTimeOffset CreatedAt)>> HistoryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<HistoryRow>(new CommandDefinition(
            "SELECT version AS Version, reason AS Reason, created_at AS CreatedAt FROM shard_map_versions ORDER BY version", cancellationToken: cancellationToken));
        return rows.Select(r => (r.Version, r.Reason, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToList();
    }

    /// <summary>Records that a move of <paramref name="logicalShard"/> started; false when one is already under way.</summary>
    public async Task<bool> TryBeginMoveAsync(int logicalShard, string source, string target, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO shard_moves (logical_shard, source, target, state, started_at, updated_at)
            VALUES (@logicalShard, @source, @target, 'copying', @now, @now) ON CONFLICT DO NOTHING
            """, new { logicalShard, source, target, now }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task SetMoveStateAsync(int logicalShard, string state, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE shard_moves SET state = @state, updated_at = @now WHERE logical_shard = @logicalShard",
            new { logicalShard, state, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    public async Task EndMoveAsync(int logicalShard, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM shard_moves WHERE logical_shard = @logicalShard", new { logicalShard }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Publishes the next map version with <paramref name="logicalShard"/> on <paramref name="target"/> and
    /// ends its move, in one catalog transaction. Optimistic: if another move published in between, the
    /// change is applied again to that newer version.
    /// </summary>
    public async Task<ShardMap> PublishMoveAsync(int logicalShard, string target, string reason, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (current, _) = await ReadAsync(cancellationToken);
            var next = current.WithAssignment(logicalShard, target);
            await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
            await using var transaction = databases.BeginWriteTransaction(connection);
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO shard_map_versions (version, document, reason, created_at) VALUES (@version, @document, @reason, @now)",
                    new { version = next.Version, document = JsonSerializer.Serialize(next, Json), reason, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
                    transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM shard_moves WHERE logical_shard = @logicalShard", new { logicalShard }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                await RefreshAsync(cancellationToken);
                return next;
            }
            catch (Exception exception) when (databases.Dialect.IsUniqueViolation(exception))
            {
                await transaction.RollbackAsync(cancellationToken);
            }
        }
    }

    private static ShardMap Deserialize(string document) =>
        JsonSerializer.Deserialize<ShardMap>(document, Json) ?? throw new InvalidDataException("A shard map row is empty.");

    private sealed class MoveRow
    {
        public long LogicalShard { get; init; }

        public string Source { get; init; } = "";

        public string Target { get; init; } = "";

        public string State { get; init; } = "";

        public long StartedAt { get; init; }

        public ShardMove ToMove() => new((int)LogicalShard, Source, Target, State, DateTimeOffset.FromUnixTimeMilliseconds(StartedAt));
    }

    private sealed record HistoryRow(long Version, string Reason, long CreatedAt);
}

public static class ShardMoveStates
{
    public const string Copying = "copying";
    public const string Frozen = "frozen";
}
