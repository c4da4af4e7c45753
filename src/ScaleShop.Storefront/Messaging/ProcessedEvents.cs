using System.Data.Common;
using Dapper;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// The idempotency of consumers: the ids a consumer applied, recorded in the same transaction as what it
/// applied, so an event delivered twice (or by two instances at once) changes the state once.
/// </summary>
public sealed class ProcessedEvents(MessagingMetrics metrics, TimeProvider time)
{
    /// <summary>Records the events as applied by <paramref name="consumer"/> and returns those it had not applied before.</summary>
    public async Task<IReadOnlyList<IntegrationEvent>> ClaimAsync(DbConnection connection, DbTransaction transaction, string consumer,
        IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return [];
        }

        // One statement for the batch; RETURNING names the rows inserted (SQLite 3.35+ and PostgreSQL alike).
        var parameters = new DynamicParameters();
        parameters.Add("consumer", consumer);
        parameters.Add("now", time.GetUtcNow().ToUnixTimeMilliseconds());
        var rows = new List<string>(events.Count);
        var unique = events.DistinctBy(e => e.Id).ToList();
        for (var i = 0; i < unique.Count; i++)
        {
            parameters.Add($"e{i}", unique[i].Id);
            rows.Add($"(@consumer, @e{i}, @now)");
        }

        var fresh = (await connection.QueryAsync<long>(new CommandDefinition(
            $"INSERT INTO processed_events (consumer, event_id, processed_at) VALUES {string.Join(", ", rows)} ON CONFLICT DO NOTHING RETURNING event_id",
            parameters, transaction, cancellationToken: cancellationToken))).ToHashSet();
        return unique.Where(e => fresh.Contains(e.Id)).ToList();
    }

    /// <summary>After the commit: what was applied (with its lag) and what was a repeat.</summary>
    public void Report(string consumer, IReadOnlyList<IntegrationEvent> delivered, IReadOnlyList<IntegrationEvent> applied)
    {
        var now = time.GetUtcNow();
        foreach (var @event in applied)
        {
            metrics.Applied(consumer, @event, now - @event.OccurredAt);
        }

        for (var i = applied.Count; i < delivered.Count; i++)
        {
            metrics.Duplicate(consumer);
        }
    }

    /// <summary>Forgets applied ids older than <paramref name="before"/> (a redelivery that late is not expected).</summary>
    public static Task<int> PurgeAsync(DbConnection connection, DateTimeOffset before, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("DELETE FROM processed_events WHERE processed_at < @cutoff",
            new { cutoff = before.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
}
