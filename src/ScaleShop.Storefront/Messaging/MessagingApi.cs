using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Common.Http;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Messaging;

public sealed record DeadLetterView(string Id, string Consumer, long EventId, string EventType, long UserId, string Payload, DateTimeOffset OccurredAt, string Error, int Attempts, DateTimeOffset ParkedAt)
{
    public static DeadLetterView From(DeadLetter letter) => new(letter.Id, letter.Consumer, letter.Event.Id, letter.Event.Type, letter.Event.UserId,
        letter.Event.Payload, letter.Event.OccurredAt, letter.Error, letter.Attempts, letter.ParkedAt);
}

public sealed record DeadLetterList(IReadOnlyList<DeadLetterView> Items);

/// <summary>Events waiting in the outboxes, events deferred per consumer (in-process bus), and lag percentiles since this instance started.</summary>
public sealed record OutboxView(long Pending, IReadOnlyDictionary<string, long> Deferred, LagReport Lag);

/// <summary>The operator's view of the event flow: what waits in the outboxes, what was parked, and replaying it.</summary>
public static class MessagingApi
{
    private const int MaxListed = 500;

    public static RouteGroupBuilder MapMessagingApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AccountsExtensions.AdminPolicy).WithPriority(RequestPriority.Exempt);
        admin.MapGet("/outbox", async (Outbox outbox, DeferredDeliveries deferred, MessagingMetrics metrics, CancellationToken ct) =>
            TypedResults.Ok(new OutboxView(await outbox.CountAsync(ct), await deferred.CountAsync(ct), metrics.Report())));
        admin.MapGet("/dead-letters", List);
        admin.MapPost("/dead-letters/{id}/replay", Replay).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Results<Ok<DeadLetterList>, ValidationProblem>> List(int? limit, IDeadLetterQueue deadLetters, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxListed)
        {
            return Problems.Validation("limit", $"limit must be between 1 and {MaxListed}.");
        }

        var letters = await deadLetters.ListAsync(limit ?? 100, cancellationToken);
        return TypedResults.Ok(new DeadLetterList(letters.Select(DeadLetterView.From).ToList()));
    }

    private static async Task<Results<Ok<DeadLetterView>, ProblemHttpResult>> Replay(string id, DeadLetterReplayer replayer, CancellationToken cancellationToken) =>
        await replayer.ReplayAsync(id, cancellationToken) switch
        {
            DeadLetterReplayer.Outcome.Replayed replayed => TypedResults.Ok(DeadLetterView.From(replayed.Letter)),
            DeadLetterReplayer.Outcome.Failed failed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Replay failed",
                detail: $"Consumer {failed.Letter.Consumer} still cannot apply event {failed.Letter.Event.Id}: {failed.Error}. It stays parked."),
            _ => Problems.NotFound($"There is no dead letter {id}."),
        };
}
