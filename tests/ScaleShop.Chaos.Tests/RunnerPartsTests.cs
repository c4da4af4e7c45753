using ScaleShop.Load;

namespace ScaleShop.Chaos.Tests;

public sealed class RunnerPartsTests
{
    [Fact]
    public void A_request_belongs_to_the_time_it_was_sent_not_the_time_it_ended()
    {
        var recorder = new ChaosRecorder(_ => null);

        // It ends now, after hanging for 5 s: it was sent 5 s before the recorder's "now".
        recorder.RequestEnded(new ObservedRequest(JourneyKind.Checkout, 1, TimeSpan.Zero, TimeSpan.FromSeconds(5), "timeout"));

        Assert.Single(recorder.Between(TimeSpan.FromSeconds(-6), TimeSpan.FromSeconds(-4)));
        Assert.Empty(recorder.Between(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Shoppers_are_classified_by_their_shard_and_anonymous_requests_by_none()
    {
        var recorder = new ChaosRecorder(user => user == 7 ? "shard2" : "shard0");

        recorder.RequestEnded(new ObservedRequest(JourneyKind.Cart, 7, TimeSpan.Zero, TimeSpan.FromMilliseconds(3), null));
        recorder.RequestEnded(new ObservedRequest(JourneyKind.Browse, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(3), null));

        var samples = recorder.Between(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
        Assert.Equal("shard2", samples.Single(s => s.Journey == JourneyKind.Cart).Shard);
        Assert.Null(samples.Single(s => s.Journey == JourneyKind.Browse).Shard);
    }

    [Fact]
    public void An_order_acknowledged_twice_under_one_key_is_one_order()
    {
        var recorder = new ChaosRecorder(_ => "shard1");

        recorder.OrderAcknowledged(new AcknowledgedOrder("42", 1, "user1@seed.scaleshop.test", 202, "token"));
        recorder.OrderAcknowledged(new AcknowledgedOrder("42", 1, "user1@seed.scaleshop.test", 201, "token"));

        Assert.Equal("shard1", Assert.Single(recorder.Orders).Shard);
    }

    [Fact]
    public void The_schedule_stops_arrivals_when_told()
    {
        var schedule = new UntilStoppedSchedule(25);
        Assert.True(schedule.Duration > TimeSpan.FromHours(1));

        schedule.Stop();

        Assert.Equal(TimeSpan.Zero, schedule.Duration);
    }

    [Fact]
    public void A_fault_url_variable_nobody_set_is_refused_before_anything_is_broken()
    {
        var experiment = ExperimentFile.Load(Path.Combine(RepositoryRoot.ExperimentsFolder, "payment-provider-down.json"));
        using var http = new HttpClient();
        var injector = new FaultInjector(new StorefrontAdmin(http), "deploy/local/topology.sh", new Dictionary<string, string>());

        Assert.Equal(["faults[0].url: ${payments} is not set; pass --var payments=URL"], injector.Check(experiment));
    }

    [Fact]
    public void Fault_urls_are_resolved_from_the_variables()
    {
        using var http = new HttpClient();
        var injector = new FaultInjector(new StorefrontAdmin(http), "deploy/local/topology.sh", new Dictionary<string, string> { ["payments"] = "http://127.0.0.1:5471/" });

        Assert.Equal(new Uri("http://127.0.0.1:5471/admin/faults"), injector.Resolve("${payments}/admin/faults"));
    }

    [Fact]
    public void A_missing_topology_script_is_refused_for_process_faults()
    {
        var experiment = ExperimentFile.Load(Path.Combine(RepositoryRoot.ExperimentsFolder, "redis-stopped.json"));
        using var http = new HttpClient();
        var injector = new FaultInjector(new StorefrontAdmin(http), "/nonexistent/topology.sh", new Dictionary<string, string>());

        Assert.Contains("does not exist", Assert.Single(injector.Check(experiment)), StringComparison.Ordinal);
    }
}
