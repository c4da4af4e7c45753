using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Dead letters in the <c>{PREFIX}_DLQ</c> stream, one subject per consumer: the original event (body and headers)
/// plus who could not apply it and why. A dead letter's id is its stream sequence; removing it deletes that message.
/// </summary>
public sealed class NatsDeadLetterQueue(NatsStreams streams, TimeProvider time) : IDeadLetterQueue
{
    public const string Consumer = "ScaleShop-Consumer";
    public const string Error = "ScaleShop-Error";
    public const string Attempts = "ScaleShop-Attempts";
    public const string ParkedAt = "ScaleShop-Parked-At";

    private const int NotFound = 404;

    // Set by the server on every message a direct get returns.
    private const string NatsSequence = "Nats-Sequence";


    public async Task ParkAsync(string consumer, IntegrationEvent @event, string error, int attempts, CancellationToken cancellationToken)
    {
        await streams.EnsureAsync(cancellationToken);
        var headers = NatsEventHeaders.Of(@event);
        // A redelivered poison event parked again within the duplicate window is dropped, not listed twice.
        headers[NatsEventHeaders.MessageId] = $"{NatsStreams.DurableName(consumer)}:{@event.Id.ToString(CultureInfo.InvariantCulture)}";
        headers[Consumer] = consumer;
        headers[Error] = SingleLine(error);
        headers[Attempts] = attempts.ToString(CultureInfo.InvariantCulture);
        headers[ParkedAt] = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var deadline = streams.Deadline(cancellationToken);
        using var trace = MessagingTelemetry.ContinueEventTrace(@event);
        var ack = await streams.JetStream.PublishAsync(streams.DeadLetterSubject(consumer), NatsEventHeaders.Body(@event), headers: headers, cancellationToken: deadline.Token);
        if (!ack.Duplicate)
        {
            ack.EnsureSuccess();
        }
    }

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await streams.EnsureAsync(cancellationToken);
        var stream = await StreamAsync(cancellationToken);
        var letters = new List<DeadLetter>();
        // "Next by subject from a sequence" skips the gaps removed letters leave, one direct get per letter.
        for (ulong next = 1; letters.Count < limit;)
        {
            var found = await GetDirectAsync(stream, new StreamMsgGetRequest { Seq = next, NextBySubj = streams.DeadLetterSubjects }, cancellationToken);
            if (found is not { } message)
            {
                break;
            }

            if (ToDeadLetter(message) is { } letter)
            {
                letters.Add(letter);
            }

            next = Sequence(message) + 1;
        }

        return letters;
    }

    public async Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence == 0)
        {
            return null;
        }

        await streams.EnsureAsync(cancellationToken);
        var stream = await StreamAsync(cancellationToken);
        return await GetDirectAsync(stream, new StreamMsgGetRequest { Seq = sequence }, cancellationToken) is { } message ? ToDeadLetter(message) : null;
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence == 0)
        {
            return false;
        }

        await streams.EnsureAsync(cancellationToken);
        using var deadline = streams.Deadline(cancellationToken);
        try
        {
            var response = await streams.JetStream.DeleteMessageAsync(streams.DeadLetterStream, new StreamMsgDeleteRequest { Seq = sequence }, deadline.Token);
            return response.Success;
        }
        catch (NatsJSApiException)
        {
            // Servers answer deleting a sequence they do not hold with several codes (a gap: 10043; the end or an
            // emptied store: a generic 10057 "no message found"), so whether it was there is asked, not decoded.
            if (await GetDirectAsync(await StreamAsync(cancellationToken), new StreamMsgGetRequest { Seq = sequence }, cancellationToken) is not null)
            {
                throw;
            }

            return false;
        }
    }

    private async Task<INatsJSStream> StreamAsync(CancellationToken cancellationToken)
    {
        using var deadline = streams.Deadline(cancellationToken);
        return await streams.JetStream.GetStreamAsync(streams.DeadLetterStream, cancellationToken: deadline.Token);
    }

    private async Task<NatsMsg<byte[]>?> GetDirectAsync(INatsJSStream stream, StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        using var deadline = streams.Deadline(cancellationToken);
        var message = await stream.GetDirectAsync<byte[]>(request, cancellationToken: deadline.Token);
        if (message.Headers?.ContainsKey(NatsSequence) == true)
        {
            return message;
        }

        return message.Headers?.Code == NotFound
            ? null
            : throw new InvalidOperationException($"Reading dead letters from {streams.DeadLetterStream} failed: {message.Headers?.Code} {message.Headers?.MessageText}");
    }

    private static ulong Sequence(NatsMsg<byte[]> message) =>
        ulong.Parse(NatsEventHeaders.Get(message.Headers, NatsSequence)!, NumberStyles.None, CultureInfo.InvariantCulture);

    private static DeadLetter? ToDeadLetter(NatsMsg<byte[]> message)
    {
        if (NatsEventHeaders.ToEvent(message.Headers, message.Data) is not { } @event)
        {
            return null;
        }

        var headers = message.Headers;
        return new DeadLetter(Sequence(message).ToString(CultureInfo.InvariantCulture), NatsEventHeaders.Get(headers, Consumer) ?? "",
            @event, NatsEventHeaders.Get(headers, Error) ?? "", (int)(NatsEventHeaders.Long(headers, Attempts) ?? 0),
            DateTimeOffset.FromUnixTimeMilliseconds(NatsEventHeaders.Long(headers, ParkedAt) ?? 0));
    }

    // A header value is one line; exception messages may hold several.
    private static string SingleLine(string text) => text.ReplaceLineEndings(" ");
}
