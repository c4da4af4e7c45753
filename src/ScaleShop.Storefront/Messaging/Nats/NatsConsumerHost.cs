using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace ScaleShop.Storefront.Messaging;

/// <summary>
/// Runs every <see cref="IEventConsumer"/> on its own durable pull consumer of the events stream, one loop each:
/// fetch a batch, deliver it through <see cref="EventConsumerRunner"/> (retries, poison to the dead-letter stream),
/// then ack it. When the consumer's dependency is down the batch is nak'ed with a growing delay and the loop
/// backs off; an instance that dies before the ack leaves the batch to be redelivered after AckWait.
/// Nothing here stops the host: every failure is logged and retried.
/// </summary>
public sealed class NatsConsumerHost(
    IEnumerable<IEventConsumer> consumers, EventConsumerRunner runner, NatsStreams streams, ILogger<NatsConsumerHost> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(consumers.Select(consumer => Task.Run(() => RunAsync(consumer, stoppingToken), CancellationToken.None)));

    private async Task RunAsync(IEventConsumer consumer, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pull = await ConsumerAsync(consumer, stoppingToken);
                failures = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    var unavailable = await DeliverBatchAsync(consumer, pull, failures, stoppingToken);
                    failures = unavailable ? failures + 1 : 0;
                    if (unavailable)
                    {
                        await Task.Delay(Backoff(failures), stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The server is unreachable, the stream was deleted, a call timed out: start over with a fresh consumer handle.
                failures++;
                var delay = Backoff(failures);
                logger.LogWarning(exception, "Consumer {Consumer} cannot read from JetStream ({Failures} in a row); retrying in {Delay}", consumer.Name, failures, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<INatsJSConsumer> ConsumerAsync(IEventConsumer consumer, CancellationToken cancellationToken)
    {
        await streams.EnsureAsync(cancellationToken);
        using var deadline = streams.Deadline(cancellationToken);
        return await streams.JetStream.CreateOrUpdateConsumerAsync(streams.EventsStream, new ConsumerConfig(NatsStreams.DurableName(consumer.Name))
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = streams.Options.AckWait,
            // Unlimited: the runner parks poison itself; a dependency that is down must not turn events into losses.
            MaxDeliver = -1,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        }, deadline.Token);
    }

    private static async Task CollectAsync(IAsyncEnumerable<INatsJSMsg<byte[]>> fetched, List<INatsJSMsg<byte[]>> into)
    {
        await foreach (var message in fetched)
        {
            into.Add(message);
        }
    }

    /// <summary>One fetch and its delivery; true when the consumer's dependency was down and the batch was nak'ed.</summary>
    private async Task<bool> DeliverBatchAsync(IEventConsumer consumer, INatsJSConsumer pull, int failures, CancellationToken stoppingToken)
    {
        var options = streams.Options;
        var messages = new List<INatsJSMsg<byte[]>>();
        using (var deadline = streams.Deadline(stoppingToken, options.FetchExpiry))
        {
            // Take what is waiting, up to a batch. If nothing is, wait for the next event only — waiting for a full
            // batch would add the whole fetch expiry to every event's lag whenever traffic is below a batch per
            // expiry — then take whatever arrived with it.
            await CollectAsync(pull.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = options.FetchBatchSize }, cancellationToken: deadline.Token), messages);
            if (messages.Count == 0)
            {
                await CollectAsync(pull.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = options.FetchExpiry }, cancellationToken: deadline.Token), messages);
                if (messages.Count > 0 && options.FetchBatchSize > 1)
                {
                    await CollectAsync(pull.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = options.FetchBatchSize - 1 }, cancellationToken: deadline.Token), messages);
                }
            }
        }

        if (messages.Count == 0)
        {
            return false;
        }

        var delivered = new List<INatsJSMsg<byte[]>>(messages.Count);
        var events = new List<IntegrationEvent>(messages.Count);
        foreach (var message in messages)
        {
            if (NatsEventHeaders.ToEvent(message.Headers, message.Data) is { } @event)
            {
                delivered.Add(message);
                events.Add(@event);
            }
            else
            {
                // Not published by an outbox (no event headers): nothing can ever apply it, so it must not come back.
                logger.LogError("Consumer {Consumer} dropped message {Subject}: it carries no ScaleShop event headers", consumer.Name, message.Subject);
                await SettleAsync(message, (m, ct) => m.AckTerminateAsync(cancellationToken: ct), stoppingToken);
            }
        }

        using var inProgress = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = KeepInProgressAsync(delivered, inProgress.Token);
        try
        {
            await runner.DeliverAsync(consumer, events, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-batch: hand it back now rather than make the next instance wait out AckWait.
            await SettleAllAsync(delivered, (m, ct) => m.NakAsync(cancellationToken: ct), CancellationToken.None);
            throw;
        }
        catch (ConsumerUnavailableException exception)
        {
            var delay = Backoff(failures + 1);
            logger.LogWarning(exception, "Consumer {Consumer} is unavailable; {Count} events are redelivered in {Delay}", consumer.Name, events.Count, delay);
            await StopAsync(inProgress, heartbeat);
            await SettleAllAsync(delivered, (m, ct) => m.NakAsync(new AckOpts { NakDelay = delay }, ct), stoppingToken);
            return true;
        }
        finally
        {
            await StopAsync(inProgress, heartbeat);
        }

        // Applied, parked or not wanted by this consumer: done with, either way.
        await SettleAllAsync(delivered, (m, ct) => m.AckAsync(cancellationToken: ct), stoppingToken);
        return false;
    }

    /// <summary>
    /// While a batch is being applied, tells JetStream every half AckWait that it is still in progress, so a
    /// batch slower than AckWait (a consumer's database having a bad minute) is not delivered a second time meanwhile.
    /// </summary>
    private async Task KeepInProgressAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(streams.Options.AckWait / 2, cancellationToken);
                await SettleAllAsync(messages, (m, ct) => m.AckProgressAsync(cancellationToken: ct), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the batch is settled
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Telling JetStream a batch is still in progress failed; it may be redelivered (consumers are idempotent)");
        }
    }

    private static async Task StopAsync(CancellationTokenSource inProgress, Task heartbeat)
    {
        await inProgress.CancelAsync();
        await heartbeat;
    }

    private Task SettleAllAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, Func<INatsJSMsg<byte[]>, CancellationToken, ValueTask> settle, CancellationToken cancellationToken) =>
        Task.WhenAll(messages.Select(m => SettleAsync(m, settle, cancellationToken)));

    private async Task SettleAsync(INatsJSMsg<byte[]> message, Func<INatsJSMsg<byte[]>, CancellationToken, ValueTask> settle, CancellationToken cancellationToken)
    {
        using var deadline = streams.Deadline(cancellationToken);
        await settle(message, deadline.Token);
    }

    private TimeSpan Backoff(int failures) =>
        Messaging.Backoff.Exponential(streams.Options.RedeliveryBaseDelay, Math.Max(1, failures), streams.Options.RedeliveryMaxDelay);
}
