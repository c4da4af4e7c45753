using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Data;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// The real storefront on Kestrel (real HTTP on a loopback port) over real SQLite files in a fresh folder.
/// Shared by the tests of a class; each test works with its own users and its own products
/// (<see cref="TakeProductId"/>), so tests do not see each other's writes.
/// </summary>
public class StorefrontApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@scaleshop.test";
    public const string AdminPassword = "admin-password-1";
    public const int SeededProducts = 400;
    public const int SeededCategories = 10;
    public const int SeededUsers = 400;

    private static int _nextProductId;
    private int _nextUser;

    private readonly bool _ownsDataDirectory;
    private readonly bool _ownsPayments;
    private readonly bool _ownsRecommendations;

    public StorefrontApp() : this(NewDataDirectory(), ownsDataDirectory: true)
    {
    }

    /// <summary>
    /// An app over an existing folder, as after a restart; the folder is left for its owner. With
    /// <paramref name="payments"/> (<paramref name="recommendations"/>), it pays through that provider (asks that
    /// service), left running for its owner, instead of its own.
    /// </summary>
    internal StorefrontApp(string dataDirectory, bool ownsDataDirectory = false, PaymentProviderHost? payments = null, RecommendationsHost? recommendations = null)
    {
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        _ownsPayments = payments is null;
        Payments = payments ?? new PaymentProviderHost();
        _ownsRecommendations = recommendations is null;
        Recommendations = recommendations ?? new RecommendationsHost();
        UseKestrel(0);
    }

    public string DataDirectory { get; }

    /// <summary>Extra configuration for a fixture that needs it (e.g. a short busy timeout).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    public static string NewDataDirectory() => TestStorage.NewDataDirectory();

    /// <summary>A seeded product no other test in this process uses.</summary>
    public static long TakeProductId()
    {
        var id = Interlocked.Increment(ref _nextProductId);
        return id <= SeededProducts ? id : throw new InvalidOperationException("The test catalog has run out of unused products.");
    }

    /// <summary>The payment provider this storefront pays through: a real one, over real HTTP, with settable faults.</summary>
    public PaymentProviderHost Payments { get; }

    /// <summary>The recommendations service this storefront asks and feeds: a real one, over real HTTP, with settable faults.</summary>
    public RecommendationsHost Recommendations { get; }

    // How long a fixture waits for the replica to replay its seed; far more than it takes even on a busy machine.
    private static readonly TimeSpan ReplicaCatchUpTimeout = TimeSpan.FromSeconds(60);

    public async ValueTask InitializeAsync()
    {
        TestHostStarts.Run(Payments.StartServer);
        TestHostStarts.Run(Recommendations.StartServer);
        TestHostStarts.Run(StartServer);
        // The seed went to the primaries; tests read through replicas too (reads that carry no consistency token).
        await TestStorage.WaitForReplicasAsync(ReplicaCatchUpTimeout);
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A product's stock as the catalog database holds it now (not the cached figure).</summary>
    public async Task<int> StockOfAsync(long productId) =>
        (await Service<ScaleShop.Storefront.Catalog.CatalogStore>().GetProductAsync(productId, DataIntent.Write, CancellationToken.None))!.Stock;

    /// <summary>
    /// The state a crash between "take stock" and "write order" leaves: an in-progress claim and a stock
    /// reservation, both long past the claim lease. Returns the idempotency key.
    /// </summary>
    public async Task<string> LeaveDeadRequestAsync(ScaleShop.Data.Sharding.ShardedId user, long productId, int quantity)
    {
        var key = Guid.NewGuid().ToString("N");
        var token = Guid.NewGuid().ToString("N");
        Assert.Null(await Service<ScaleShop.Storefront.Orders.OrderStore>().TryClaimAsync(user, key, "hash", token, DateTimeOffset.UtcNow.AddMinutes(-10), CancellationToken.None));
        Assert.IsType<ScaleShop.Storefront.Catalog.ReservationOutcome.Reserved>(await Service<ScaleShop.Storefront.Catalog.StockReservations>()
            .ReserveAsync(token, user.Value, key, [new ScaleShop.Storefront.Catalog.StockRequest(productId, quantity)], CancellationToken.None));
        await ExecuteOnCatalogAsync($"UPDATE stock_reservations SET created_at = created_at - 600000 WHERE claim_token = '{token}';");
        return key;
    }

    /// <summary>Runs SQL on the catalog database, on either provider (for tests that set up a state directly).</summary>
    public async Task ExecuteOnCatalogAsync(string sql)
    {
        await using var connection = await Service<IDatabaseRouter>().OpenCatalogAsync(DataIntent.Write, CancellationToken.None);
        await connection.ExecuteAsync(sql);
    }

    /// <summary>Numbers from the catalog database (for tests that check projections or stock directly).</summary>
    public async Task<List<long>> QueryCatalogAsync(string sql, object? parameters = null)
    {
        await using var connection = await Service<IDatabaseRouter>().OpenCatalogAsync(DataIntent.Write, CancellationToken.None);
        return (await connection.QueryAsync<long>(sql, parameters)).AsList();
    }

    /// <summary>The co-purchase pairs the projection holds for these products: the sum of its counts over every pair (a, *).</summary>
    public async Task<long> CoPurchasesOfAsync(IEnumerable<long> productIds)
    {
        var sum = 0L;
        foreach (var productId in productIds)
        {
            sum += (await QueryCatalogAsync("SELECT COALESCE(SUM(orders), 0) FROM co_purchases WHERE product_id = @productId", new { productId }))[0];
        }

        return sum;
    }

    /// <summary>
    /// What <see cref="CoPurchasesOfAsync"/> must come to when the projection counted each of <paramref name="confirmed"/>
    /// once: an order of n distinct products (2 or more) adds n - 1 pairs to each of its products.
    /// </summary>
    public static long CoPurchasesImplied(IEnumerable<OrderDto> confirmed, IReadOnlyCollection<long> productIds) =>
        confirmed.Select(o => o.Items.Select(i => i.ProductId).Distinct().ToList()).Where(p => p.Count > 1)
            .Sum(p => (long)p.Count(productIds.Contains) * (p.Count - 1));

    public async Task ExecuteOnShardAsync(string physicalDatabase, string sql)
    {
        await using var connection = await Service<IDatabaseRouter>().OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, CancellationToken.None);
        await connection.ExecuteAsync(sql);
    }

    public async Task<List<long>> QueryShardAsync(string physicalDatabase, string sql)
    {
        await using var connection = await Service<IDatabaseRouter>().OpenPhysicalShardAsync(physicalDatabase, DataIntent.ReadYourWrites, CancellationToken.None);
        return (await connection.QueryAsync<long>(sql)).AsList();
    }

    public HttpClient Anonymous() => CreateClient();

    public async Task<HttpClient> AdminAsync() => await SignedInAsync(AdminEmail, AdminPassword);

    /// <summary>A freshly registered user and a client that sends their token.</summary>
    public async Task<(HttpClient Client, string UserId, string Email)> NewUserAsync()
    {
        var email = $"user-{Guid.NewGuid():N}-{Interlocked.Increment(ref _nextUser)}@tests.scaleshop.test";
        using var anonymous = Anonymous();
        var response = await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "password-123", displayName = "Test User" });
        response.EnsureSuccessStatusCode();
        var account = await response.Content.ReadFromJsonAsync<AccountDto>();
        return (await SignedInAsync(email, "password-123"), account!.Id, email);
    }

    public async Task<HttpClient> SignedInAsync(string email, string password)
    {
        using var anonymous = Anonymous();
        var response = await anonymous.PostAsJsonAsync("/api/v1/sessions", new { email, password });
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<TokenDto>();
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = Settings(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress);
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value; // later settings win: a fixture's own override beats the defaults
        }

        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
    }

    /// <summary>The configuration of a test storefront over <paramref name="dataDirectory"/>, also for one started as a separate process.</summary>
    public static Dictionary<string, string?> Settings(string dataDirectory, Uri paymentProvider, Uri recommendations)
    {
        var settings = TestStorage.Settings(dataDirectory);
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            ["Seed:OnFirstStart"] = "true",
            ["Seed:Products"] = SeededProducts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Seed:Categories"] = SeededCategories.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Seed:Users"] = SeededUsers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Admin:Email"] = AdminEmail,
            ["Admin:Password"] = AdminPassword,
            // Fewer PBKDF2 rounds for accounts the tests register: tests exercise behaviour, not hashing cost.
            ["Auth:PasswordHashIterations"] = "10000",
            // The sweeper is driven by the tests that need it.
            ["Orders:SweepInterval"] = "01:00:00",
            ["Orders:ReconcileInterval"] = "01:00:00",
            ["Payments:BaseUrl"] = paymentProvider.ToString(),
            ["Recommendations:BaseUrl"] = recommendations.ToString(),
            // A cold recommendations host on a busy test machine can take longer than the production 150 ms, and
            // most tests are not about that budget: the tests of the timeout and the fallback set their own.
            ["Recommendations:Timeout"] = "00:00:05",
            // Likewise a readiness check on a busy test machine: the tests of the check timeout set their own.
            ["Health:CheckTimeout"] = "00:00:05",
            // Every test client shares 127.0.0.1, and tests run many at once: per-client limits are tested by their own fixture.
            ["Protection:AnonymousRequestsPerSecond"] = "1000000",
            ["Protection:AnonymousBurst"] = "1000000",
            ["Protection:UserRequestsPerSecond"] = "1000000",
            ["Protection:UserBurst"] = "1000000",
            // Disposing a fixture is a shutdown: no load balancer to drain from here (the shutdown test sets its own).
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
            // Tests inject faults on purpose; detection would open incidents on them and the kill switch would then
            // refuse the next test's faults. The tests of detection switch it on.
            ["Anomalies:DetectionEnabled"] = "false",
        })
        {
            settings[key] = value;
        }

        return settings;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsPayments)
        {
            await Payments.DisposeAsync();
        }

        if (_ownsRecommendations)
        {
            await Recommendations.DisposeAsync();
        }

        GC.SuppressFinalize(this);
        if (_ownsDataDirectory)
        {
            await TestStorage.DeleteAsync(DataDirectory);
        }
    }

    public sealed record AccountDto(string Id, string Email, string DisplayName);

    public sealed record TokenDto(string AccessToken, string TokenType, int ExpiresIn);
}
