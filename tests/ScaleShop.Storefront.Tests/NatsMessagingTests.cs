using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ScaleShop.Storefront.Messaging;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// The bus on a real nats-server (deploy/local/topology.sh): every test runs its own storefront, whose streams
/// carry a prefix of their own, with a test consumer registered as any consumer is.
/// </summary>
public sealed class NatsMessagingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static long _nextEventId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;

    [Fact]
    public async Task A_published_event_is_delivered_to_the_consumer_and_acked()
    {
        await using var app = await StartAsync(new TestConsumer("projection.orders"));
        var @event = NewEvent();

        await app.Service<IEventBus>().PublishAsync([@event], Ct);

        await EventuallyAsync(() => app.Consumer.Applied.ContainsKey(@event.Id), "the event is applied");
        Assert.Equal(@event, app.Consumer.Applied[@event.Id]); // id, type, user, payload and time survive the trip
        var streams = app.Service<NatsStreams>();
        await EventuallyAsync(async () =>
        {
            var consumer = await streams.JetStream.GetConsumerAsync(streams.EventsStream, "projection_orders", Ct);
            return consumer.Info.NumAckPending == 0 && consumer.Info.NumPending == 0;
        }, "the durable consumer has nothing pending or unacknowledged");
    }

    [Fact]
    public async Task A_batch_slower_than_AckWait_is_kept_in_progress_and_not_handed_to_another_instance_meanwhile()
    {
        // Two instances on the same streams, one consumer object: its attempts count deliveries to either.
        var slow = new TaskCompletionSource();
        var consumer = new TestConsumer("slow.projection") { Hold = slow };
        var directory = StorefrontApp.NewDataDirectory();
        await using var first = await StartAsync(consumer, directory, ownsDataDirectory: true);
        await using var second = await StartAsync(consumer, directory, ownsDataDirectory: false);
        var @event = NewEvent();

        await first.Service<IEventBus>().PublishAsync([@event], Ct);
        await EventuallyAsync(() => consumer.Attempts(@event.Id) > 0, "a delivery started");
        await Task.Delay(TimeSpan.FromSeconds(5), Ct); // 2.5 × this fixture's AckWait: without progress, the other instance would get it
        Assert.Equal(1, consumer.Attempts(@event.Id));
        slow.SetResult();

        await EventuallyAsync(() => consumer.Applied.ContainsKey(@event.Id), "the event is applied");
        Assert.Equal(1, consumer.Attempts(@event.Id));
    }

    [Fact]
    public async Task An_event_published_twice_is_stored_and_delivered_once()
    {
        await using var app = await StartAsync(new TestConsumer("dedup"));
        var bus = app.Service<IEventBus>();
        var @event = NewEvent();
        var sentinel = NewEvent();

        await bus.PublishAsync([@event], Ct);
        await bus.PublishAsync([@event], Ct); // the dispatcher crashed before deleting the outbox row
        await bus.PublishAsync([sentinel], Ct);

        // One consumer receives in stream order: once the sentinel is applied, a second copy would have come already.
        await EventuallyAsync(() => app.Consumer.Applied.ContainsKey(sentinel.Id), "the sentinel is applied");
        Assert.Equal(1, app.Consumer.Attempts(@event.Id));
        var streams = app.Service<NatsStreams>();
        var stream = await streams.JetStream.GetStreamAsync(streams.EventsStream, cancellationToken: Ct);
        Assert.Equal(2, stream.Info.State.Messages);
    }

    [Fact]
    public async Task A_poison_event_is_parked_in_the_dead_letter_stream_and_a_replay_after_the_fix_applies_and_removes_it()
    {
        await using var app = await StartAsync(new TestConsumer("search.index"));
        var (before, poison, after) = (NewEvent(), NewEvent(), NewEvent());
        app.Consumer.Poison[poison.Id] = true;

        await app.Service<IEventBus>().PublishAsync([before, poison, after], Ct);

        var deadLetters = app.Service<IDeadLetterQueue>();
        DeadLetter? letter = null;
        await EventuallyAsync(async () => (letter = (await deadLetters.ListAsync(100, Ct)).SingleOrDefault(l => l.Event.Id == poison.Id)) is not null, "the poison event is parked");
        Assert.True(app.Consumer.Applied.ContainsKey(before.Id) && app.Consumer.Applied.ContainsKey(after.Id), "the good events of the batch are applied");
        Assert.False(app.Consumer.Applied.ContainsKey(poison.Id));
        Assert.Equal("search.index", letter!.Consumer);
        Assert.Equal(poison, letter.Event);
        Assert.Contains(nameof(PoisonEventException), letter.Error);
        Assert.DoesNotContain('\n', letter.Error); // a header is one line; the consumer's message had two
        Assert.Equal(letter, await deadLetters.GetAsync(letter.Id, Ct));

        using var admin = await app.AdminAsync();
        var stillBroken = await admin.PostAsync($"/api/v1/admin/dead-letters/{letter.Id}/replay", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, stillBroken.StatusCode);

        app.Consumer.Poison.TryRemove(poison.Id, out _); // the fix is deployed
        var replayed = await admin.PostAsync($"/api/v1/admin/dead-letters/{letter.Id}/replay", null, Ct);

        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.True(app.Consumer.Applied.ContainsKey(poison.Id));
        Assert.Null(await deadLetters.GetAsync(letter.Id, Ct));
        var listed = await admin.GetFromJsonAsync<DeadLetterList>("/api/v1/admin/dead-letters", Ct);
        Assert.DoesNotContain(listed!.Items, l => l.Id == letter.Id);
        Assert.False(await deadLetters.RemoveAsync(letter.Id, Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/admin/dead-letters/{letter.Id}/replay", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Events_a_consumer_cannot_apply_while_its_dependency_is_down_are_redelivered_later_and_nothing_is_parked()
    {
        await using var app = await StartAsync(new TestConsumer("catalog.projection") { DependencyDown = true });
        var @event = NewEvent();

        await app.Service<IEventBus>().PublishAsync([@event], Ct);

        // One delivery is 1 + ConsumerMaxRetries attempts: more than that means JetStream delivered it again.
        await EventuallyAsync(() => app.Consumer.Attempts(@event.Id) > 2 * (1 + NatsStorefrontApp.ConsumerMaxRetries), "the event is redelivered");
        app.Consumer.DependencyDown = false;

        await EventuallyAsync(() => app.Consumer.Applied.ContainsKey(@event.Id), "the event is applied once the dependency is back");
        Assert.Empty(await app.Service<IDeadLetterQueue>().ListAsync(100, Ct));
    }

    [Fact]
    public async Task An_event_whose_consumer_stopped_before_the_ack_is_redelivered_to_the_next_instance()
    {
        var directory = StorefrontApp.NewDataDirectory();
        var @event = NewEvent();
        var stuck = new TestConsumer("mailer") { Hold = new TaskCompletionSource() };
        await using (var first = await StartAsync(stuck, directory, ownsDataDirectory: false))
        {
            await first.Service<IEventBus>().PublishAsync([@event], Ct);
            await EventuallyAsync(() => stuck.Attempts(@event.Id) > 0, "the first instance is delivering the event");
        } // stopped mid-delivery: no ack was sent

        await using var next = await StartAsync(new TestConsumer("mailer"), directory, ownsDataDirectory: true);

        await EventuallyAsync(() => next.Consumer.Applied.ContainsKey(@event.Id), "the next instance applies the event after AckWait");
        Assert.Empty(stuck.Applied);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IntegrationEvent NewEvent()
    {
        var id = Interlocked.Increment(ref _nextEventId);
        return new IntegrationEvent(id, "test.happened", 42, $$"""{"id":{{id}},"note":"naïve café"}""",
            DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    }

    private static async Task<NatsStorefrontApp> StartAsync(TestConsumer consumer, string? directory = null, bool ownsDataDirectory = true)
    {
        Assert.SkipUnless(await NatsReachable.Value, $"No NATS server with JetStream answers at {TestStorage.Nats}: run deploy/local/topology.sh up (./test.sh does).");
        var app = new NatsStorefrontApp(directory ?? StorefrontApp.NewDataDirectory(), ownsDataDirectory, consumer);
        await app.InitializeAsync();
        return app;
    }

    private static readonly Lazy<Task<bool>> NatsReachable = new(async () =>
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await using var connection = new NatsConnection(new NatsOpts { Url = TestStorage.Nats, ConnectTimeout = TimeSpan.FromSeconds(2) });
            await new NatsJSContext(connection).GetAccountInfoAsync(timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is NatsException or OperationCanceledException)
        {
            return false;
        }
    });

    private static async Task EventuallyAsync(Func<bool> condition, string what) => await EventuallyAsync(() => Task.FromResult(condition()), what);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience}: {what}.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
    }
}

/// <summary>A storefront on the topology's NATS under a prefix of its own, with short JetStream timings and one test consumer.</summary>
internal sealed class NatsStorefrontApp(string dataDirectory, bool ownsDataDirectory, TestConsumer consumer) : StorefrontApp(dataDirectory, ownsDataDirectory)
{
    public const int ConsumerMaxRetries = 1;

    private readonly bool _deletesStreams = ownsDataDirectory;

    public TestConsumer Consumer => consumer;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => TestStorage.NatsSettings(DataDirectory).Concat(new Dictionary<string, string?>
    {
        ["Messaging:ConsumerMaxRetries"] = ConsumerMaxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Messaging:ConsumerRetryBaseDelay"] = "00:00:00.010",
        ["Messaging:Nats:AckWait"] = "00:00:02",
        ["Messaging:Nats:FetchExpiry"] = "00:00:01",
        ["Messaging:Nats:RedeliveryBaseDelay"] = "00:00:00.100",
        ["Messaging:Nats:RedeliveryMaxDelay"] = "00:00:00.500",
        // The consumer is what is tested here: a small catalog starts faster.
        ["Seed:Products"] = "20",
        ["Seed:Categories"] = "2",
        ["Seed:Users"] = "10",
    });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IEventConsumer>(consumer));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_deletesStreams)
        {
            await TestStorage.DeleteStreamsAsync(DataDirectory);
        }
    }
}

/// <summary>
/// A consumer whose faults the test sets: poison events, a dependency that is down, a delivery that hangs.
/// Applies a batch all or nothing, and each event once, as a real consumer does with ProcessedEvents.
/// </summary>
internal sealed class TestConsumer(string name) : IEventConsumer
{
    private readonly ConcurrentDictionary<long, int> _attempts = new();

    public string Name => name;

    public ConcurrentDictionary<long, IntegrationEvent> Applied { get; } = new();

    public ConcurrentDictionary<long, bool> Poison { get; } = new();

    public volatile bool DependencyDown;

    /// <summary>When set, a delivery waits for it (or for the host to stop): an instance busy with a batch.</summary>
    public TaskCompletionSource? Hold { get; init; }

    public int Attempts(long eventId) => _attempts.GetValueOrDefault(eventId);

    public bool Handles(string eventType) => eventType.StartsWith("test.", StringComparison.Ordinal);

    public async Task HandleAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        foreach (var @event in events)
        {
            _attempts.AddOrUpdate(@event.Id, 1, (_, n) => n + 1);
        }

        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        if (DependencyDown)
        {
            throw new InvalidOperationException("The consumer's database does not answer.");
        }

        if (events.FirstOrDefault(e => Poison.ContainsKey(e.Id)) is { } poison)
        {
            throw new PoisonEventException(poison.Id, $"Event {poison.Id} breaks an invariant.{Environment.NewLine}Its total is négative.");
        }

        foreach (var @event in events)
        {
            Applied.TryAdd(@event.Id, @event);
        }
    }
}
