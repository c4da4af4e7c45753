using System.Net;
using ScaleShop.Slo;
using ScaleShop.Storefront.Tests.Infrastructure;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// Every process serves its meters at /metrics in Prometheus' text format, over real HTTP. The storefront runs
/// as a real process here: meter listeners are process-wide, and the other fixtures of this test process would
/// otherwise share (and, as they stop, take away) its instruments.
/// </summary>
public sealed class MetricsEndpointTests : RealProcessTest
{
    [Fact]
    public async Task The_storefront_serves_its_own_meters_and_the_frameworks_in_Prometheus_format()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            using var client = new HttpClient { BaseAddress = storefront.Address };
            (await client.GetAsync("/api/v1/recommendations?limit=3", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/products/7", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/products/7", ct)).EnsureSuccessStatusCode();
            (await client.GetAsync("/health/ready", ct)).EnsureSuccessStatusCode();

            // The exporter caches a scrape briefly: wait for one that shows the requests above, and that comes
            // after an earlier scrape (which it would show, were scrapes measured).
            var scrapes = 0;
            var text = await Eventually.ValueAsync(async () =>
            {
                var response = await client.GetAsync("/metrics", ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
                scrapes++;
                return await response.Content.ReadAsStringAsync(ct);
            }, t => scrapes > 1 && t.Contains("scaleshop_recommendations_served", StringComparison.Ordinal)
                && t.Contains("scaleshop_cache_lookups", StringComparison.Ordinal)
                && t.Contains("http_server_request_duration_seconds_bucket", StringComparison.Ordinal)
                && t.Contains(PrometheusRules.DurationMetric, StringComparison.Ordinal), TimeSpan.FromSeconds(15), "a scrape with the storefront's meters");

            // Every breaker's state, and every dependency pipeline's latency under the dependency's name.
            Assert.Contains(text.Split('\n'), line => line.StartsWith("scaleshop_circuit_state{", StringComparison.Ordinal)
                && line.Contains("dependency=\"recommendations\"", StringComparison.Ordinal) && line.EndsWith(" 0", StringComparison.Ordinal));
            Assert.Contains(text.Split('\n'), line => line.StartsWith("resilience_polly_pipeline_duration_milliseconds_count{", StringComparison.Ordinal)
                && line.Contains("pipeline_name=\"db.catalog\"", StringComparison.Ordinal));

            // The journey histogram has a bucket at each journey's latency threshold, labelled as the Prometheus rules select it.
            var objectives = SloObjectives.Load(Path.Combine(AppContext.BaseDirectory, "objectives.json"));
            foreach (var journey in new[] { "browse", "recommendations" })
            {
                var le = $"le=\"{PrometheusRules.Le(objectives.Find(journey)!.Latency.ThresholdMs)}\"";
                Assert.Contains(text.Split('\n'), line => line.StartsWith($"{PrometheusRules.DurationMetric}_bucket{{", StringComparison.Ordinal)
                    && line.Contains($"journey=\"{journey}\"", StringComparison.Ordinal) && line.Contains("outcome=\"ok\"", StringComparison.Ordinal) && line.Contains(le, StringComparison.Ordinal));
            }

            // Scrapes and probes are not traffic: no request-duration series for them.
            Assert.DoesNotContain(text.Split('\n'), line => line.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal)
                && (line.Contains("http_route=\"/metrics\"", StringComparison.Ordinal) || line.Contains("http_route=\"/health", StringComparison.Ordinal)));
        }
        finally
        {
            storefront.Kill();
        }
    }

    [Fact]
    public async Task After_an_order_and_a_failing_dependency_the_lag_runtime_and_failure_series_carry_values()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress,
            new Dictionary<string, string> { ["Chaos__Enabled"] = "true" }, ct);
        try
        {
            // One order: its events go through the outbox to the bus and to the projections, which record their lags.
            using (var buyer = await storefront.SignedInAsync("user1@seed.scaleshop.test", "scaleshop-demo", ct))
            {
                Assert.Equal(HttpStatusCode.Created, (await buyer.PlaceOrderAsync(Guid.NewGuid().ToString("N"), (5, 1))).StatusCode);
            }

            // The recommendations service fails every call (chaos, innermost in its pipeline, as a real failure would
            // meet the breaker): the page falls back, and after the breaker's minimum throughput the breaker opens.
            // A pipeline (and its chaos switch) is built with its client's first call: one call that succeeds first.
            using var client = new HttpClient { BaseAddress = storefront.Address };
            (await client.GetAsync("/api/v1/recommendations?limit=3", ct)).EnsureSuccessStatusCode();
            using var admin = await storefront.SignedInAsync(StorefrontApp.AdminEmail, StorefrontApp.AdminPassword, ct);
            (await admin.PutAsJsonAsync("/api/v1/admin/chaos/dependencies/recommendations", new { faultRate = 1.0 }, ct)).EnsureSuccessStatusCode();
            // Each for another product: an answer the storefront has cached would not call the service.
            for (var product = 10; product < 22; product++)
            {
                (await client.GetAsync($"/api/v1/recommendations?limit=3&productId={product}", ct)).EnsureSuccessStatusCode();
            }

            const string recommendations = "pipeline_name=\"RecommendationsClient-recommendations\"";
            var text = await Eventually.ValueAsync(async () => await client.GetStringAsync("/metrics", ct),
                t => Count(t, "scaleshop_outbox_publish_lag_milliseconds_count", "event_type=\"order.placed\"") > 0
                    && Count(t, "scaleshop_consumer_lag_milliseconds_count", "consumer=\"popularity\"") > 0
                    && Count(t, "resilience_polly_strategy_events_total", "event_name=\"OnCircuitOpened\"") > 0,
                TimeSpan.FromSeconds(30), "a scrape with the order's lags and the recommendations breaker's opening");

            // Events flowing: the outbox's publish lag and the projection's lag, with the order's measurements in them.
            Assert.True(Count(text, "scaleshop_outbox_publish_lag_milliseconds_sum", "event_type=\"order.placed\"") > 0, "the publish lag has a positive sum");
            Assert.Contains(Lines(text), l => l.StartsWith("scaleshop_consumer_lag_milliseconds_bucket{", StringComparison.Ordinal)
                && l.Contains("consumer=\"popularity\"", StringComparison.Ordinal) && l.Contains("le=\"+Inf\"", StringComparison.Ordinal) && Value(l) >= 1);
            Assert.True(Count(text, "scaleshop_consumer_applied_total", "consumer=\"popularity\"") >= 1, "the projection counted what it applied");

            // The runtime (System.Runtime's meter): collections by generation, the thread pool, the working set.
            foreach (var generation in new[] { "gen0", "gen1", "gen2" })
            {
                Assert.Contains(Lines(text), l => l.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal) && l.Contains($"gc_heap_generation=\"{generation}\"", StringComparison.Ordinal));
            }

            Assert.True(Count(text, "dotnet_thread_pool_thread_count_total", "") > 0, "thread pool threads");
            Assert.True(Count(text, "dotnet_thread_pool_work_item_count_total", "") > 0, "thread pool work items");
            Assert.True(Count(text, "dotnet_process_memory_working_set_bytes", "") > 0, "the working set");

            // The failing dependency under its own pipeline: every failed call counted with its exception, the injected
            // faults and the breaker's opening as Polly events, and the calls the open breaker refused.
            Assert.True(Count(text, "resilience_polly_pipeline_duration_milliseconds_count", recommendations) >= 1, "recommendations calls measured");
            Assert.Contains(Lines(text), l => l.StartsWith("resilience_polly_pipeline_duration_milliseconds_count{", StringComparison.Ordinal) && l.Contains(recommendations, StringComparison.Ordinal)
                && l.Contains("exception_type=\"System.Net.Http.HttpRequestException\"", StringComparison.Ordinal) && Value(l) >= 1);
            Assert.True(Count(text, "resilience_polly_strategy_events_total", "event_name=\"Chaos.OnFault\"") >= 1, "the injected faults counted");
            Assert.Contains(Lines(text), l => l.StartsWith("resilience_polly_strategy_events_total{", StringComparison.Ordinal) && l.Contains(recommendations, StringComparison.Ordinal)
                && l.Contains("event_name=\"OnCircuitOpened\"", StringComparison.Ordinal));
        }
        finally
        {
            storefront.Kill();
        }
    }

    [Fact]
    public async Task On_PostgreSQL_each_replica_reports_its_lag_in_bytes()
    {
        if (!TestStorage.IsPostgres)
        {
            Assert.Skip("Replica lag is PostgreSQL's WAL replay position: SQLite has no replicas, so no series (run with SCALESHOP_TEST_PROVIDER=Postgres).");
        }

        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            using var client = new HttpClient { BaseAddress = storefront.Address };
            // The test topology's replica A' serves the catalog, shard0 and shard1 (TestStorage.Settings); -1 would say unreachable.
            var databases = new[] { "catalog", "shard0", "shard1" };
            var text = await Eventually.ValueAsync(async () => await client.GetStringAsync("/metrics", ct),
                t => databases.All(database => Lines(t).Any(l => l.StartsWith("scaleshop_db_replica_lag_bytes{", StringComparison.Ordinal)
                    && l.Contains($"db_name=\"{database}\"", StringComparison.Ordinal) && Value(l) >= 0)),
                TimeSpan.FromSeconds(30), "a scrape with every replica's lag, each reachable");
            Assert.All(Lines(text).Where(l => l.StartsWith("scaleshop_db_replica_lag_bytes{", StringComparison.Ordinal)),
                l => Assert.Contains("db_replica=\"0\"", l, StringComparison.Ordinal));
            Assert.Contains("# TYPE scaleshop_db_replica_lag_bytes gauge", text, StringComparison.Ordinal);
        }
        finally
        {
            storefront.Kill();
        }
    }

    private static string[] Lines(string text) => text.Split('\n');

    /// <summary>The sum of the samples of <paramref name="series"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Count(string text, string series, string label) =>
        Lines(text).Where(l => l.StartsWith(series + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(Value);

    /// <summary>A sample's value: <c>name{labels} value [timestamp]</c>.</summary>
    private static double Value(string line) =>
        double.Parse(line[(line.LastIndexOf('}') + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_payment_provider_and_the_recommendations_service_serve_theirs()
    {
        using var payments = Payments.CreateClient();
        using var recommendations = Recommendations.CreateClient();
        (await recommendations.GetAsync("/v1/recommendations", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        foreach (var client in new[] { payments, recommendations })
        {
            var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }
}
