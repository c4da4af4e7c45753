using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Storefront.Orders.Payments;

namespace ScaleShop.PaymentProvider.Tests;

/// <summary>The storefront's typed client and its resilience pipeline against the real provider misbehaving on purpose.</summary>
public sealed class PaymentClientTests(PaymentProviderApp provider) : IClassFixture<PaymentProviderApp>, IAsyncLifetime
{
    private readonly List<ServiceProvider> _clients = [];

    public ValueTask InitializeAsync() => new(provider.SetFaultsAsync());

    public async ValueTask DisposeAsync()
    {
        await provider.SetFaultsAsync();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private PaymentProviderClient Client(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Payments:BaseUrl"] = provider.BaseAddress.ToString(),
            ["Payments:RetryBaseDelay"] = "00:00:00.005",
        };
        foreach (var (key, value) in settings)
        {
            values[$"Payments:{key}"] = value;
        }

        var services = new ServiceCollection().AddLogging().AddPaymentProvider(new ConfigurationBuilder().AddInMemoryCollection(values).Build()).BuildServiceProvider();
        _clients.Add(services);
        return services.GetRequiredService<PaymentProviderClient>();
    }

    [Fact]
    public async Task Retries_through_failures_and_lost_answers_charge_every_order_exactly_once()
    {
        var ct = TestContext.Current.CancellationToken;
        // A third of the calls fail before the provider acts, a third of the rest after it acted (answer lost).
        await provider.SetFaultsAsync(failureRate: 0.3, lostResponseRate: 0.3);
        // About half of all attempts fail here: keep the breaker out of this test (it has its own below).
        var client = Client(("MaxRetryAttempts", "10"), ("BreakerMinimumThroughput", "100000"));
        var orders = Enumerable.Range(0, 20).Select(_ => "order-" + Guid.NewGuid().ToString("N")).ToList();

        var results = await Task.WhenAll(orders.Select(order => client.AuthorizeAsync("auth-" + order, 2500, "USD", order, ct)));

        await provider.SetFaultsAsync();
        Assert.All(results, result => Assert.IsType<PaymentResult.Succeeded>(result));
        foreach (var order in orders)
        {
            var payments = await client.FindByReferenceAsync(order, ct);
            Assert.Single(payments!); // retried after a lost answer, and still one payment
        }
    }

    [Fact]
    public async Task With_the_provider_down_calls_fail_fast_once_the_breaker_opens()
    {
        var ct = TestContext.Current.CancellationToken;
        await provider.SetFaultsAsync(down: true);
        var client = Client(("MaxRetryAttempts", "1"), ("BreakerMinimumThroughput", "4"), ("BreakerFailureRatio", "0.5"), ("BreakerBreakDuration", "00:00:30"));

        var results = new List<PaymentResult>();
        for (var i = 0; i < 12; i++)
        {
            results.Add(await client.AuthorizeAsync(Guid.NewGuid().ToString("N"), 100, "USD", "down-" + i, ct));
        }

        Assert.All(results, result => Assert.IsType<PaymentResult.Unavailable>(result));
        Assert.Contains(results, result => ((PaymentResult.Unavailable)result).Reason.Contains("BrokenCircuit", StringComparison.Ordinal));
        Assert.Contains(results, result => ((PaymentResult.Unavailable)result).Reason.StartsWith("503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_provider_slower_than_the_timeout_is_reported_unavailable_not_waited_for()
    {
        var ct = TestContext.Current.CancellationToken;
        await provider.SetFaultsAsync(latencyMs: 3_000);
        var client = Client(("AttemptTimeout", "00:00:00.100"), ("TotalTimeout", "00:00:00.400"), ("MaxRetryAttempts", "2"), ("BreakerSamplingDuration", "00:00:01"));

        var result = await client.AuthorizeAsync(Guid.NewGuid().ToString("N"), 100, "USD", "slow", ct);

        Assert.IsType<PaymentResult.Unavailable>(result);
    }

    [Fact]
    public async Task A_declined_payment_is_a_final_answer_not_a_failure_to_retry()
    {
        var ct = TestContext.Current.CancellationToken;
        await provider.SetFaultsAsync(declineRate: 1);
        var client = Client();
        var reference = "declined-" + Guid.NewGuid().ToString("N");

        var result = await client.AuthorizeAsync(Guid.NewGuid().ToString("N"), 100, "USD", reference, ct);

        Assert.NotNull(Assert.IsType<PaymentResult.Declined>(result).PaymentId);
        Assert.Equal("declined", Assert.Single((await client.FindByReferenceAsync(reference, ct))!).Status);
    }
}
