using System.Globalization;
using Dapper;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Messaging;

/// <summary>Dead letters of the in-process bus, in the catalog database: they survive restarts and wait for an operator.</summary>
public sealed class SqlDeadLetterQueue(IDatabaseRouter databases, TimeProvider time) : IDeadLetterQueue
{
    private const string Columns =
        "id AS Id, consumer AS Consumer, event_id AS EventId, event_type AS EventType, user_id AS UserId, payload AS Payload, occurred_at AS OccurredAt, error AS Error, attempts AS Attempts, parked_at AS ParkedAt";

    public async Task ParkAsync(string consumer, IntegrationEvent @event, string error, int attempts, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO dead_letters (consumer, event_id, event_type, user_id, payload, occurred_at, error, attempts, parked_at)
            VALUES (@consumer, @Id, @Type, @UserId, @Payload, @occurredAt, @error, @attempts, @now)
            """,
            new { consumer, @event.Id, @event.Type, @event.UserId, @event.Payload, occurredAt = @event.OccurredAt.ToUnixTimeMilliseconds(), error, attempts, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM dead_letters ORDER BY id LIMIT @limit", new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToDeadLetter()).ToList();
    }

    public async Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
        {
            return null;
        }

        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM dead_letters WHERE id = @rowId", new { rowId }, cancellationToken: cancellationToken));
        return row?.ToDeadLetter();
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
        {
            return false;
        }

        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM dead_letters WHERE id = @rowId", new { rowId }, cancellationToken: cancellationToken)) == 1;
    }

    private sealed record Row(long Id, string Consumer, long EventId, string EventType, long UserId, string Payload, long OccurredAt, string Error, long Attempts, long ParkedAt)
    {
        public DeadLetter ToDeadLetter() => new(Id.ToString(CultureInfo.InvariantCulture), Consumer,
            new IntegrationEvent(EventId, EventType, UserId, Payload, DateTimeOffset.FromUnixTimeMilliseconds(OccurredAt)), Error, (int)Attempts,
            DateTimeOffset.FromUnixTimeMilliseconds(ParkedAt));
    }
}

/// <summary>An operator's replay: run the dead letter's consumer on it again; on success it leaves the queue.</summary>
public sealed class DeadLetterReplayer(IDeadLetterQueue deadLetters, IEnumerable<IEventConsumer> consumers, EventConsumerRunner runner, ILogger<DeadLetterReplayer> logger)
{
    public abstract record Outcome
    {
        public sealed record Replayed(DeadLetter Letter) : Outcome;

        public sealed record NotFound : Outcome;

        public sealed record Failed(DeadLetter Letter, string Error) : Outcome;
    }

    public async Task<Outcome> ReplayAsync(string id, CancellationToken cancellationToken)
    {
        var letter = await deadLetters.GetAsync(id, cancellationToken);
        if (letter is null)
        {
            return new Outcome.NotFound();
        }

        var consumer = consumers.FirstOrDefault(c => c.Name == letter.Consumer);
        if (consumer is null)
        {
            return new Outcome.Failed(letter, $"No consumer named {letter.Consumer} runs in this version.");
        }

        var error = await runner.ReplayAsync(consumer, letter.Event, cancellationToken);
        if (error is not null)
        {
            return new Outcome.Failed(letter, error.GetType().Name + ": " + error.Message);
        }

        await deadLetters.RemoveAsync(id, cancellationToken);
        logger.LogInformation("Replayed dead letter {DeadLetterId}: event {EventId} applied by {Consumer}", id, letter.Event.Id, letter.Consumer);
        return new Outcome.Replayed(letter);
    }
}
