using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ScaleShop.Anomalies;
using ScaleShop.Storefront.Anomalies;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// The whole path, on a real storefront process under a steady load: the detector learns each series, a steady
/// run as long as the faulty one opens no incident, then latency injected into the payment provider through the
/// chaos API opens an incident that reaches the payments team's webhook, signed, within a bound measured here
/// (and recorded in docs/anomaly-detection.md).
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class AnomalyDetectionEndToEndTests : RealProcessTest
{
    private static readonly byte[] PaymentsSecret = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int LearningPoints = 60;
    private static readonly TimeSpan Learning = Interval * (LearningPoints + 15);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan LoadPause = TimeSpan.FromMilliseconds(200);
    private const int Shoppers = 3;

    [Fact]
    public async Task Latency_injected_into_payments_reaches_the_payments_team_signed_and_a_steady_run_opens_no_incident()
    {
        Assert.SkipWhen(TestStorage.IsPostgres, "Detection does not depend on the provider; IncidentTests cover incidents on PostgreSQL. Run once, on the SQLite pass.");
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync();
        var ownership = Path.Combine(DataDirectory, "ownership.json");
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(ownership, (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ownership.json"), ct))
            .Replace("http://127.0.0.1:5098/", receiver.BaseAddress.ToString(), StringComparison.Ordinal), ct);
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            ["Anomalies__DetectionEnabled"] = "true",
            ["Anomalies__SampleInterval"] = Interval.ToString(),
            ["Slo__BucketWidth"] = Interval.ToString(),
            ["Anomalies__DetectorLearningPoints"] = LearningPoints.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Anomalies__OwnershipPath"] = ownership,
            ["Anomalies__WebhookSecrets__payments"] = Convert.ToBase64String(PaymentsSecret),
            ["Anomalies__NotificationPollInterval"] = "00:00:00.200",
            ["Chaos__Enabled"] = "true",
        }, ct);
        using var load = new CancellationTokenSource();
        Task? shoppers = null;
        try
        {
            using var admin = await SignInAsync(storefront.Address, StorefrontApp.AdminEmail, StorefrontApp.AdminPassword);
            shoppers = RunShoppersAsync(storefront.Address, load.Token);

            // Learning, then a steady run as long as the faulty one: nothing is anomalous, no incident opens.
            await Task.Delay(Learning + Phase, ct);
            var steady = await (await admin.GetAsync("/api/ops/incidents?status=all", ct)).Content.ReadFromJsonAsync<IncidentList>(ct);
            Assert.True(steady!.Items.Count == 0, "A steady run opened incidents: " + string.Join("; ", steady.Items.Select(i =>
                $"{i.Component}: {i.Title} [{string.Join(", ", i.Signals.Select(s => $"{s.Series}={s.Value:0.###} ({s.Score:0.###})"))}]")));
            Assert.Empty(receiver.Deliveries);

            // The payment provider slows down: every call takes 400 ms more.
            var injected = Stopwatch.StartNew();
            (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/payments", new { latencyRate = 1.0, latencyMs = 400 }, ct)).EnsureSuccessStatusCode();
            WebhookReceiver.Delivery? delivery = null;
            while (delivery is null && injected.Elapsed < Phase)
            {
                delivery = receiver.Deliveries.FirstOrDefault(d => d.Team == "payments");
                await Task.Delay(100, ct);
            }

            var elapsed = injected.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine($"anomaly end-to-end: payments latency injected -> payments team notified in {elapsed.TotalSeconds:0.0} s");
            Assert.True(delivery is not null, $"No incident reached the payments team in {Phase}; deliveries: {string.Join(", ", receiver.Deliveries.Select(d => d.Team))}");
            Assert.True(elapsed < DetectionBound, $"The payments team heard after {elapsed}, beyond the {DetectionBound} bound.");
            Assert.True(WebhookSignature.IsValid(delivery.Body, PaymentsSecret, delivery.Signature), "the delivery is signed with the payments team's secret");
            var incident = (await (await admin.GetAsync("/api/ops/incidents", ct)).Content.ReadFromJsonAsync<IncidentList>(ct))!.Items.Single();
            Assert.Equal(("payments", "payments", "docs/runbooks/payment-provider.md"), (incident.Component, incident.Team, incident.Runbook));
            Assert.Contains(incident.Signals, s => s.Series.StartsWith("dependency.payments.", StringComparison.Ordinal));

            // The kill switch: no more faults while the incident is active; lifting this one is allowed.
            Assert.Equal(HttpStatusCode.Conflict, (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/db.catalog", new { faultRate = 1.0 }, ct)).StatusCode);
            (await admin.DeleteAsync("/api/v1/admin/chaos/dependencies", ct)).EnsureSuccessStatusCode();
        }
        finally
        {
            await load.CancelAsync();
            if (shoppers is not null)
            {
                await shoppers;
            }

            storefront.Kill();
        }
    }

    /// <summary>A steady trickle of shoppers: a product page, a search and an order each, a few times a second.</summary>
    private static async Task RunShoppersAsync(Uri storefront, CancellationToken stop)
    {
        var clients = new List<HttpClient>();
        for (var i = 0; i < Shoppers; i++)
        {
            using var anonymous = new HttpClient { BaseAddress = storefront };
            var email = $"shopper-{Guid.NewGuid():N}@tests.scaleshop.test";
            (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "password-123", displayName = "Shopper" }, stop)).EnsureSuccessStatusCode();
            clients.Add(await SignInAsync(storefront, email, "password-123"));
        }

        await Task.WhenAll(clients.Select(async client =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var product = Random.Shared.Next(1, StorefrontApp.SeededProducts + 1);
                    await client.GetAsync($"/api/v1/products/{product}", stop);
                    await client.GetAsync("/api/v1/search?q=wireless", stop);
                    await client.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (product, 1));
                    await Task.Delay(LoadPause, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the run is over
            }
            finally
            {
                client.Dispose();
            }
        }));
    }

    private static async Task<HttpClient> SignInAsync(Uri storefront, string email, string password)
    {
        var client = new HttpClient { BaseAddress = storefront };
        var session = await (await client.PostAsJsonAsync("/api/v1/sessions", new { email, password })).Content.ReadFromJsonAsync<StorefrontApp.TokenDto>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session!.AccessToken);
        return client;
    }
}

/// <summary>Tests whose measurements another test's load would distort: run after the parallel ones, one at a time.</summary>
[CollectionDefinition(nameof(AloneOnTheMachine), DisableParallelization = true)]
public sealed class AloneOnTheMachine;
