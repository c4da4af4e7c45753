using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Storefront.Messaging;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// docs/runbooks/dead-letters.md executed as written against a real storefront (Kestrel, on whichever provider the
/// pass runs). A release of the recommendations service refuses order events (400), so the recommendations feed parks
/// a confirmed order in the dead letters while the popularity projection applies it. Once the service is fixed, the
/// runbook's diagnosis, its replay and its verification run; the letter is gone and the order has reached the
/// recommendations — the projection the letter had left wrong. A runbook whose API calls drift fails here.
/// </summary>
public sealed class DeadLetterRunbookTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly RefusingRecommendationsHost _recommendations = new();
    private readonly StorefrontApp _app;

    public DeadLetterRunbookTests() => _app = new StorefrontApp(StorefrontApp.NewDataDirectory(), ownsDataDirectory: true, recommendations: _recommendations);

    public ValueTask InitializeAsync() => _app.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _recommendations.DisposeAsync();
    }

    [Fact]
    public async Task The_dead_letters_runbook_replays_a_parked_event_once_its_consumer_is_fixed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (first, second) = (StorefrontApp.TakeProductId(), StorefrontApp.TakeProductId());
        var order = new IntegrationEvent(Random.Shared.NextInt64(1L << 50, 1L << 60), OrderEvents.Confirmed, 1,
            OrderEvents.Serialize(new OrderEventPayload(1, 1, "confirmed", 300, "USD", null, null, [new OrderEventLine(first, 2, 100), new OrderEventLine(second, 1, 100)])),
            DateTimeOffset.UtcNow);
        using var admin = await _app.AdminAsync();
        _recommendations.Refusing = true;

        await _app.Service<IEventBus>().PublishAsync([order], ct);
        var parked = await Eventually.ValueAsync(async () => await (await admin.GetAsync("/api/v1/admin/dead-letters?limit=100", ct)).ReadAsync<DeadLetterListDto>(),
            letters => letters.Items.Any(l => l.EventId == order.Id && l.Consumer == "recommendations-feed"), Wait, "the order parked by the recommendations feed");
        Assert.Contains("refused", Assert.Single(parked.Items, l => l.EventId == order.Id).Error, StringComparison.Ordinal);
        _recommendations.Refusing = false; // the service's fix is deployed: what the runbook's diagnosis tells the on-call to wait for

        var drill = await RunbookRun.DrillAsync("dead-letters.md", admin);

        RunbookRun.AssertRanCleanly(drill);
        Assert.Contains(drill.Steps, step => step.Block.Section == "Actions" && step.Output.Contains(" 200", StringComparison.Ordinal));
        Assert.Empty((await (await admin.GetAsync("/api/v1/admin/dead-letters?limit=100", ct)).ReadAsync<DeadLetterListDto>()).Items);
        var related = await Eventually.ValueAsync(async () => await (await admin.GetAsync($"/api/v1/recommendations?productId={first}", ct)).ReadAsync<RecommendationsDto>(),
            r => r.Source == "related", Wait, "recommendations from the replayed order");
        Assert.Equal(second, Assert.Single(related.Items).Id);
    }

    private sealed record DeadLetterDto(string Id, string Consumer, long EventId, string EventType, string Error);

    private sealed record DeadLetterListDto(List<DeadLetterDto> Items);

    /// <summary>A recommendations service whose release refuses every order event (400, as a broken validator would) while <see cref="Refusing"/> is set.</summary>
    private sealed class RefusingRecommendationsHost : RecommendationsHost
    {
        private volatile bool _refusing;

        public bool Refusing
        {
            get => _refusing;
            set => _refusing = value;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new RefuseOrderEvents(this)));
        }

        private sealed class RefuseOrderEvents(RefusingRecommendationsHost host) : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use(async (context, following) =>
                {
                    if (host.Refusing && HttpMethods.IsPost(context.Request.Method) && context.Request.Path == "/v1/order-events")
                    {
                        context.Response.StatusCode = StatusCodes.Status400BadRequest;
                        await context.Response.WriteAsJsonAsync(new { title = "One or more validation errors occurred.", status = 400, errors = new { events = new[] { "rejected by this release" } } });
                        return;
                    }

                    await following(context);
                });
                next(app);
            };
        }
    }
}
