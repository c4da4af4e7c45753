using System.Data.Common;
using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The transactional outbox on every user shard and in the catalog database. <see cref="AddAsync"/> and
/// <see cref="AddCatalogAsync"/> run inside the caller's transaction, so the state change and its event commit
/// or vanish together; the dispatcher reads and deletes per source: each physical shard database, and the
/// catalog (<see cref="CatalogSource"/>).
/// </summary>
public sealed class Outbox(IDatabaseRouter databases, ShardedIdGenerator ids, TimeProvider time, OutboxSignal signal)
{
    /// <summary>The catalog database as an outbox source (no physical shard has this name).</summary>
    public const string CatalogSource = "catalog";

    /// <summary>Every database with an outbox: the physical shards and the catalog.</summary>
    public IEnumerable<string> Sources => databases.ShardMap.PhysicalDatabases.Append(CatalogSource);

    /// <summary>Writes an event in the caller's transaction on the user's shard. Call <see cref="Committed"/> after the commit.</summary>
    public async Task<IntegrationEvent> AddAsync(DbConnection connection, DbTransaction transaction, ShardedId userId, string type, string payload, CancellationToken cancellationToken)
    {
        var @event = new IntegrationEvent(ids.Next(userId.LogicalShard).Value, type, userId.Value, payload, time.GetUtcNow(), MessagingTelemetry.CurrentTraceParent());
        await InsertAsync(connection, transaction, @event, cancellationToken);
        return @event;
    }

    /// <summary>Writes a catalog event (no user: user id 0) in the caller's catalog transaction. Call <see cref="Committed"/> after the commit.</summary>
    public async Task<IntegrationEvent> AddCatalogAsync(DbConnection connection, DbTransaction transaction, string type, string payload, CancellationToken cancellationToken)
    {
        var @event = new IntegrationEvent(ids.Next(0).Value, type, 0, payload, time.GetUtcNow(), MessagingTelemetry.CurrentTraceParent());
        await InsertAsync(connection, transaction, @event, cancellationToken);
        return @event;
    }

    private static Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, IntegrationEvent @event, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO outbox (id, user_id, event_type, payload, created_at, trace_parent) VALUES (@Id, @UserId, @Type, @Payload, @createdAt, @TraceParent)",
            new { @event.Id, @event.UserId, @event.Type, @event.Payload, createdAt = @event.OccurredAt.ToUnixTimeMilliseconds(), @event.TraceParent },
            transaction, cancellationToken: cancellationToken));

    /// <summary>Wakes the dispatcher: an event was committed, publish it now rather than at the next poll.</summary>
    public void Committed() => signal.Raise();

    /// <summary>
    /// The oldest unpublished events of one physical database, from the logical shards the map places there and
    /// that are not paused by a move (rows a move left behind are the mover's; the shard's new home publishes them).
    /// </summary>
    public async Task<IReadOnlyList<IntegrationEvent>> PeekAsync(string physicalDatabase, int limit, CancellationToken cancellationToken)
    {
        if (physicalDatabase == CatalogSource)
        {
            await using var catalog = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
            return ToEvents(await catalog.QueryAsync<OutboxRow>(new CommandDefinition(
                "SELECT id AS Id, user_id AS UserId, event_type AS Type, payload AS Payload, created_at AS CreatedAt, trace_parent AS TraceParent FROM outbox ORDER BY id LIMIT @limit",
                new { limit }, cancellationToken: cancellationToken)));
        }

        var owned = databases.WritableShardsOn(physicalDatabase);
        if (owned.Length == 0)
        {
            return [];
        }

        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
            $"""
            SELECT id AS Id, user_id AS UserId, event_type AS Type, payload AS Payload, created_at AS CreatedAt, trace_parent AS TraceParent FROM outbox
            WHERE {databases.InLogicalShards("user_id", "@owned")}
            ORDER BY id LIMIT @limit
            """, new { owned, limit }, cancellationToken: cancellationToken));
        return ToEvents(rows);
    }

    /// <summary>Deletes published events. A fence (a move froze the shard a moment ago) leaves them: the new home publishes them again, and consumers deduplicate.</summary>
    public async Task<int> RemoveAsync(string physicalDatabase, IReadOnlyList<long> eventIds, CancellationToken cancellationToken)
    {
        await using var connection = physicalDatabase == CatalogSource
            ? await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken)
            : await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        try
        {
            return await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM outbox WHERE id {databases.Dialect.InList("@eventIds")}", new { eventIds = eventIds.ToArray() }, cancellationToken: cancellationToken));
        }
        catch (Exception exception) when (databases.Dialect.IsShardFenced(exception))
        {
            return 0;
        }
    }

    /// <summary>Events waiting in every outbox (a gauge and a test's "at rest" check).</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var source in Sources)
        {
            await using var connection = source == CatalogSource
                ? await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken)
                : await databases.OpenPhysicalShardAsync(source, DataIntent.Write, cancellationToken);
            total += await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM outbox", cancellationToken: cancellationToken));
        }

        return total;
    }

    private static List<IntegrationEvent> ToEvents(IEnumerable<OutboxRow> rows) =>
        rows.Select(r => new IntegrationEvent(r.Id, r.Type, r.UserId, r.Payload, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.TraceParent)).ToList();

    /// <summary>Settable properties: trace_parent is often NULL, and a positional record would make Dapper insist on the type a provider reports for it.</summary>
    private sealed class OutboxRow
    {
        public long Id { get; init; }

        public long UserId { get; init; }

        public string Type { get; init; } = "";

        public string Payload { get; init; } = "";

        public long CreatedAt { get; init; }

        public string? TraceParent { get; init; }
    }
}

/// <summary>A doorbell from committing requests to the dispatcher: many rings while it works count as one.</summary>
public sealed class OutboxSignal
{
    private readonly System.Threading.Channels.Channel<bool> _bell = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    public void Raise() => _bell.Writer.TryWrite(true);

    /// <summary>Waits for a ring or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _bell.Reader.ReadAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the poll interval passed without a ring
        }
    }
}
