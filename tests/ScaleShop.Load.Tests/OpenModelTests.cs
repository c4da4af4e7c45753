using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScaleShop.Load.Tests;

/// <summary>The generator against a real Kestrel server whose one endpoint serves one request at a time.</summary>
public sealed class OpenModelTests : IAsyncLifetime
{
    private static readonly TimeSpan ServiceTime = TimeSpan.FromMilliseconds(50);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private WebApplication _server = null!;
    private Uri _url = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapGet("/slow", async () =>
        {
            await _oneAtATime.WaitAsync();
            try
            {
                await Task.Delay(ServiceTime);
            }
            finally
            {
                _oneAtATime.Release();
            }

            return "ok";
        });
        _server.MapGet("/fast", () => "ok");
        await _server.StartAsync();
        _url = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _oneAtATime.Dispose();
    }

    [Fact]
    public async Task Arrivals_faster_than_the_service_show_as_queueing_not_as_a_lower_rate()
    {
        // 40 arrivals/s against a capacity of 20/s for 3 s: the backlog grows by ~20 requests a second, so
        // requests near the end wait well over a second. A closed-loop client would report ~50 ms per request
        // and simply send fewer (coordinated omission); the open model keeps arriving and measures the wait.
        var profile = new LoadProfile
        {
            BaseUrl = _url,
            Schedule = new SteadySchedule(40, TimeSpan.FromSeconds(3)),
            Endpoint = "/slow",
            RequestTimeout = TimeSpan.FromSeconds(20),
        };

        var run = await new LoadEngine(profile).RunAsync(null, TestContext.Current.CancellationToken);

        var latency = run.Totals.Single(t => t.Journey == JourneyKind.Endpoint).Latency;
        Assert.True(latency.Count is >= 80 and <= 160, // every arrival was sent (Poisson around 120), none held back
            $"{latency.Count} requests, {run.JourneysStarted} journeys, errors {string.Join(", ", run.ErrorsByKind.Select(e => $"{e.Key}={e.Value}"))}, {run.Elapsed}");
        Assert.True(latency.P99 > 1_000, $"p99 {latency.P99} ms: the queue did not show");
        Assert.True(latency.P50 > ServiceTime.TotalMilliseconds * 3, $"p50 {latency.P50} ms");
        Assert.Equal(0, run.JourneysDropped);
    }

    [Fact]
    public async Task Arrivals_beyond_the_in_flight_limit_are_dropped_and_counted_never_delayed()
    {
        var profile = new LoadProfile
        {
            BaseUrl = _url,
            Schedule = new SteadySchedule(100, TimeSpan.FromSeconds(2)),
            Endpoint = "/slow",
            MaxInFlight = 5,
            RequestTimeout = TimeSpan.FromSeconds(20),
        };

        var run = await new LoadEngine(profile).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.True(run.JourneysDropped > 50, $"{run.JourneysDropped} dropped");
        Assert.Equal(run.JourneysDropped, run.ErrorsByKind["dropped"]);
        Assert.True(run.Totals.Single(t => t.Journey == JourneyKind.Endpoint).ErrorRate > 0.5);
    }

    [Fact]
    public async Task Under_capacity_the_measured_latency_is_the_service_time_and_the_rate_is_the_target()
    {
        var intervals = new List<IntervalSample>();
        var profile = new LoadProfile
        {
            BaseUrl = _url,
            Schedule = new SteadySchedule(200, TimeSpan.FromSeconds(3)),
            Endpoint = "/fast",
        };

        var run = await new LoadEngine(profile).RunAsync(samples => intervals.AddRange(samples), TestContext.Current.CancellationToken);

        var latency = run.Totals.Single(t => t.Journey == JourneyKind.Endpoint).Latency;
        Assert.InRange(latency.Count, 480, 720); // Poisson around 600
        Assert.Empty(run.ErrorsByKind);
        Assert.Contains(intervals, s => s.Journey == JourneyKind.Endpoint && s.Requests > 100);
        Assert.True(run.GeneratorCpu > TimeSpan.Zero);

        var folder = Path.Combine(Path.GetTempPath(), "scaleshop-load-" + Guid.NewGuid().ToString("N"));
        try
        {
            // The report's wiring is under test, not the machine's speed: an objective no shared, busy CI machine misses.
            LoadReport.Write(folder, run, new Objectives(new Dictionary<JourneyKind, JourneyObjective> { [JourneyKind.Endpoint] = new(30_000, 0) }).Judge(run));
            Assert.Contains("Objectives: **met**", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
            Assert.Contains("\"requests\":", File.ReadAllText(Path.Combine(folder, "summary.json")), StringComparison.Ordinal);
            Assert.True(File.ReadAllLines(Path.Combine(folder, "timeseries.csv")).Length > 3);
            Assert.True(new FileInfo(Path.Combine(folder, "throughput.png")).Length > 1_000);
            Assert.True(new FileInfo(Path.Combine(folder, "latency.png")).Length > 1_000);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_stops_at_its_journey_budget_before_its_schedule_ends()
    {
        var profile = new LoadProfile
        {
            BaseUrl = _url,
            Schedule = new SteadySchedule(500, TimeSpan.FromSeconds(30)),
            Endpoint = "/fast",
            MaxJourneys = 300,
        };

        var run = await new LoadEngine(profile).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(300, run.JourneysStarted + run.JourneysDropped);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(10), $"ran {run.Elapsed}");
    }
}
