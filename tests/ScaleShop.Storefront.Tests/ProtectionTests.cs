using System.Globalization;
using System.Net;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Storefront.Resilience;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>A storefront with tiny limits: 2 requests/s per user (burst 3), and 4 requests in flight at most.</summary>
public sealed class ProtectionApp : StorefrontApp
{
    public const int MaxConcurrent = 4;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Protection:UserRequestsPerSecond", "2"),
        new("Protection:UserBurst", "3"),
        new("Protection:MaxConcurrentRequests", MaxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Protection:LowPriorityShare", "0.5"),     // recommendations: at most 2 in flight
        new("Protection:NormalPriorityShare", "0.75"), // browse: at most 3; checkout: 4
        // Checkouts wait for a slow provider: that is how the tests hold requests in flight.
        new("Orders:InlinePaymentBudget", "00:00:08"),
        new("Orders:SettleLease", "00:00:20"),
        new("Payments:AttemptTimeout", "00:00:08"),
        new("Payments:TotalTimeout", "00:00:09"),
        new("Payments:BreakerSamplingDuration", "00:00:20"),
    ];
}

public sealed class ProtectionTests(ProtectionApp app) : IClassFixture<ProtectionApp>
{
    [Fact]
    public async Task A_user_past_their_rate_gets_429_with_Retry_After_and_other_users_are_unaffected()
    {
        var (greedy, _, _) = await app.NewUserAsync();
        var (other, _, _) = await app.NewUserAsync();
        using var _ = greedy;
        using var __ = other;

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await greedy.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken));
        }

        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.True(answers.Take(3).All(a => a.StatusCode == HttpStatusCode.OK), "the burst of 3 is allowed");
        Assert.NotNull(refused[0].Headers.RetryAfter?.Delta);
        var problem = await refused[0].AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many requests", problem.Title);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/cart", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Under_overload_recommendations_are_shed_first_browse_next_and_checkout_last()
    {
        var ct = TestContext.Current.CancellationToken;
        var buyers = new List<(HttpClient Client, string UserId, string Email)>();
        for (var i = 0; i < ProtectionApp.MaxConcurrent; i++)
        {
            buyers.Add(await app.NewUserAsync()); // one at a time: this instance admits at most 3 such requests at once
        }

        using var anonymous = app.Anonymous();
        var admission = app.Service<PriorityAdmission>();
        await app.Payments.SetFaultsAsync(latencyMs: 3000);
        try
        {
            // Two checkouts in flight: recommendations (ceiling 2) are refused, browsing (ceiling 3) is not.
            var first = buyers.Take(2).Select(b => b.Client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1))).ToList();
            await WaitForInFlightAsync(admission, 2);
            var shed = await anonymous.GetAsync("/api/v1/recommendations", ct);
            await shed.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(shed.Headers.RetryAfter?.Delta);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/products/1", ct)).StatusCode);

            // Three in flight: browsing is refused too; a fourth checkout still gets in.
            var third = buyers[2].Client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1));
            await WaitForInFlightAsync(admission, 3);
            await (await anonymous.GetAsync("/api/v1/products/1", ct)).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            var fourth = buyers[3].Client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (StorefrontApp.TakeProductId(), 1));
            await WaitForInFlightAsync(admission, 4);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready", ct)).StatusCode); // probes are never shed

            foreach (var checkout in first.Append(third).Append(fourth))
            {
                Assert.Equal(HttpStatusCode.Created, (await checkout).StatusCode);
            }

            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/recommendations", ct)).StatusCode);
        }
        finally
        {
            await app.Payments.SetFaultsAsync();
            foreach (var buyer in buyers)
            {
                buyer.Client.Dispose();
            }
        }
    }

    private static Task WaitForInFlightAsync(PriorityAdmission admission, int expected) =>
        Eventually.ValueAsync(() => Task.FromResult(admission.InFlight), inFlight => inFlight >= expected, TimeSpan.FromSeconds(10), $"{expected} requests in flight");
}

/// <summary>
/// Requests time out after 3 s, and chaos is on so that a test can make one run longer: injected latency on its
/// database, far past the timeout (and opening a connection is allowed far longer still, so only the request's
/// own timeout can end it).
/// </summary>
public sealed class RequestTimeoutApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Chaos:Enabled", "true"),
        new("Protection:RequestTimeout", "00:00:03"),
        new("Resilience:Databases:OpenTimeout", "00:01:00"),
    ];
}

public sealed class RequestTimeoutTests(RequestTimeoutApp app) : IClassFixture<RequestTimeoutApp>
{
    [Fact]
    public async Task A_request_running_past_its_timeout_is_cancelled_and_answered_504_problem_details()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, userId, _) = await app.NewUserAsync();
        using var _ = client;
        using var admin = await app.AdminAsync();
        var home = app.Service<IDatabaseRouter>().ShardMap.PhysicalDatabaseOf(new ShardedId(long.Parse(userId, CultureInfo.InvariantCulture)).LogicalShard);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cart", ct)).StatusCode);
        try
        {
            // Every connection to the user's database now takes 30 s to open: the handler cannot finish before the timeout.
            (await admin.PutAsJsonAsync($"/api/v1/admin/chaos/dependencies/db.{home}", new { latencyRate = 1.0, latencyMs = 30_000 }, ct)).EnsureSuccessStatusCode();
            var timedOut = await client.GetAsync("/api/v1/cart", ct);
            var problem = await timedOut.AssertProblemAsync(HttpStatusCode.GatewayTimeout);
            Assert.Equal(504, problem.Status);
        }
        finally
        {
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cart", ct)).StatusCode);
    }
}

/// <summary>The storefront as a real process receiving SIGTERM while it serves.</summary>
public sealed class GracefulShutdownTests : RealProcessTest
{
    [Fact]
    public async Task On_SIGTERM_readiness_turns_false_requests_in_flight_and_during_the_drain_succeed_then_the_process_exits_cleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            ["Shutdown__DrainDelay"] = "00:00:02",
            ["Orders__InlinePaymentBudget"] = "00:00:05",
            ["Orders__SettleLease"] = "00:00:10",
            ["Payments__AttemptTimeout"] = "00:00:05",
        }, ct);
        try
        {
            using var buyer = await storefront.SignedInAsync("user1@seed.scaleshop.test", "scaleshop-demo", ct);
            using var browser = new HttpClient { BaseAddress = storefront.Address };
            await Payments.SetFaultsAsync(latencyMs: 1500);
            var checkout = buyer.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (7, 1)); // in flight across the SIGTERM
            await Task.Delay(300, ct);

            storefront.Terminate();

            // Readiness turns false at once, while the instance still serves whoever reaches it.
            var deadline = DateTimeOffset.UtcNow.AddSeconds(2);
            HttpResponseMessage ready;
            while ((ready = await browser.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.OK)
            {
                Assert.True(DateTimeOffset.UtcNow < deadline, "Readiness did not turn false after SIGTERM.");
                await Task.Delay(50, ct);
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var duringDrain = await browser.GetAsync("/api/v1/products/1", ct);
            Assert.Equal(HttpStatusCode.OK, duringDrain.StatusCode);
            Assert.True(duringDrain.Headers.ConnectionClose, "answers during the drain close their connection");

            Assert.Equal(HttpStatusCode.Created, (await checkout).StatusCode);
            Assert.Equal(0, await storefront.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            storefront.Kill();
            await Payments.SetFaultsAsync();
        }
    }
}

/// <summary>
/// Behind the gateway every anonymous request arrives from the gateway's address: the storefront must count each
/// client by the X-Forwarded-For a trusted proxy (loopback here) adds, or the whole shop shares one bucket.
/// </summary>
public sealed class ForwardedClientTests : RealProcessTest
{
    [Fact]
    public async Task Anonymous_clients_behind_a_trusted_gateway_get_a_bucket_each()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            ["Protection__AnonymousRequestsPerSecond"] = "1",
            ["Protection__AnonymousBurst"] = "3",
        }, ct);
        try
        {
            using var client = new HttpClient { BaseAddress = storefront.Address };
            async Task<HttpStatusCode> AsAsync(string clientAddress)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/categories");
                request.Headers.Add("X-Forwarded-For", clientAddress);
                using var response = await client.SendAsync(request, ct);
                return response.StatusCode;
            }

            var greedy = new List<HttpStatusCode>();
            for (var i = 0; i < 8; i++)
            {
                greedy.Add(await AsAsync("203.0.113.7"));
            }

            Assert.Contains(HttpStatusCode.TooManyRequests, greedy);
            Assert.Equal(HttpStatusCode.OK, await AsAsync("203.0.113.8"));
        }
        finally
        {
            storefront.Kill();
        }
    }
}
