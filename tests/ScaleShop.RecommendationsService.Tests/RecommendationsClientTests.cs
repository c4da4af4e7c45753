using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using ScaleShop.Resilience;
using ScaleShop.Storefront.Recommendations;

namespace ScaleShop.RecommendationsService.Tests;

/// <summary>The storefront's query client and its pipeline (timeout, breaker, bulkhead) against the real service misbehaving on purpose.</summary>
public sealed class RecommendationsClientTests(RecommendationsServiceApp service) : IClassFixture<RecommendationsServiceApp>, IAsyncLifetime
{
    private readonly List<ServiceProvider> _clients = [];

    public ValueTask InitializeAsync() => new(service.SetFaultsAsync());

    public async ValueTask DisposeAsync()
    {
        await service.SetFaultsAsync();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private (RecommendationsClient Client, CircuitStates Circuits) Client(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Recommendations:BaseUrl"] = service.BaseAddress.ToString() };
        foreach (var (key, value) in settings)
        {
            values[$"Recommendations:{key}"] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddMetrics()
            .AddRecommendations(configuration).BuildServiceProvider();
        _clients.Add(services);
        return (services.GetRequiredService<RecommendationsClient>(), services.GetRequiredService<CircuitStates>());
    }

    [Fact]
    public async Task A_healthy_service_answers_with_its_source()
    {
        var (client, _) = Client();
        var answer = await client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken);
        Assert.NotNull(answer);
        Assert.Equal("popular", answer.Source);
    }

    [Fact]
    public async Task A_service_slower_than_the_timeout_is_not_waited_for()
    {
        var (client, _) = Client(("Timeout", "00:00:00.150"));
        await service.SetFaultsAsync(latencyMs: 2_000);
        var clock = Stopwatch.StartNew();
        Assert.Null(await client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken));
        // The service takes 2 s; the call gives up at its 150 ms timeout (the bound is loose for a busy machine, far below 2 s).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task A_failing_service_opens_the_breaker_which_then_answers_at_once_until_it_half_opens()
    {
        // A generous timeout: this test is about the breaker, and a busy machine must not turn the probe into a timeout.
        var (client, circuits) = Client(("BreakerMinimumThroughput", "4"), ("BreakerBreakDuration", "00:00:01"), ("Timeout", "00:00:05"));
        await service.SetFaultsAsync(down: true);
        for (var i = 0; i < 6; i++)
        {
            Assert.Null(await client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken));
        }

        Assert.Equal(CircuitState.Open, circuits.Snapshot()[RecommendationsExtensions.DependencyName]);
        await service.SetFaultsAsync();
        // Open: the healthy service is not even asked.
        Assert.Null(await client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken));

        await Task.Delay(TimeSpan.FromSeconds(1.2), TestContext.Current.CancellationToken);
        Assert.NotNull(await client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken));
        Assert.Equal(CircuitState.Closed, circuits.Snapshot()[RecommendationsExtensions.DependencyName]);
    }

    [Fact]
    public async Task Calls_beyond_the_bulkhead_are_refused_at_once_not_queued()
    {
        var (client, _) = Client(("MaxConcurrentCalls", "2"), ("Timeout", "00:00:05"), ("BreakerMinimumThroughput", "1000"));
        await service.SetFaultsAsync(latencyMs: 500);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.RecommendAsync(null, null, 5, TestContext.Current.CancellationToken)));
        Assert.Equal(2, answers.Count(a => a is not null));
        Assert.Equal(6, answers.Count(a => a is null));
    }
}
