namespace ScaleShop.Slo.Tests;

public sealed class ObjectivesFileTests
{
    [Fact]
    public void The_repository_objectives_load_with_every_journey_and_the_workbook_alerts()
    {
        var objectives = SloObjectives.Load(Repository.File("load", "objectives.json"));

        Assert.Equal(["browse", "search", "cart", "checkout", "recommendations"], objectives.Journeys.Select(j => j.Journey));
        Assert.Equal(0.9995, objectives.Find("checkout")!.Availability);
        Assert.Equal(new LatencyObjective(300, 0.99), objectives.Find("checkout")!.Latency);
        Assert.Equal([("fast-burn", 14.4, "1h", "5m"), ("slow-burn", 6.0, "6h", "30m"), ("budget-drain", 1.0, "3d", "6h")],
            objectives.Alerts.Select(a => (a.Name, a.Factor, a.LongWindow.Text, a.ShortWindow.Text)));
        Assert.Equal(TimeSpan.FromDays(3), objectives.LongestWindow);
        Assert.Equal(10, objectives.MinimumRequests);
        Assert.Equal(["5m", "30m", "1h", "6h", "3d"], objectives.Windows.Select(w => w.Text));
    }

    [Theory]
    [InlineData("""{ "journeys": { "checkout": { "availability": 1, "latency": { "thresholdMs": 300, "objective": 0.99 } } } }""", "journeys.checkout.availability")]
    [InlineData("""{ "journeys": { "checkout": { "availability": 0.99, "latency": { "thresholdMs": 0, "objective": 0.99 } } } }""", "journeys.checkout.latency.thresholdMs")]
    [InlineData("""{ "journeys": { "checkout": { "availability": 0.99 } } }""", "journeys.checkout.latency")]
    [InlineData("""{ "journeys": { "Check Out": { "availability": 0.99, "latency": { "thresholdMs": 3, "objective": 0.9 } } } }""", "journeys.Check Out")]
    [InlineData("""{ "journeys": {} }""", "journeys")]
    [InlineData("""{ "minimumRequests": 0, "journeys": { "a": { "availability": 0.9, "latency": { "thresholdMs": 3, "objective": 0.9 } } } }""", "minimumRequests")]
    [InlineData("""{ "journeys": { "a": { "availability": 0.9, "latency": { "thresholdMs": 3, "objective": 0.9 } } }, "alerts": [ { "name": "x", "severity": "page", "factor": 2, "longWindow": "1x", "shortWindow": "5m" } ] }""", "alerts[0].longWindow")]
    [InlineData("""{ "journeys": { "a": { "availability": 0.9, "latency": { "thresholdMs": 3, "objective": 0.9 } } }, "alerts": [ { "name": "x", "severity": "page", "factor": 2, "longWindow": "5m", "shortWindow": "1h" } ] }""", "alerts[0].shortWindow")]
    [InlineData("""{ "journeys": { "a": { "availability": 0.9, "latency": { "thresholdMs": 3, "objective": 0.9 } } }, "alerts": [ { "name": "x", "severity": "sms", "factor": 2, "longWindow": "1h", "shortWindow": "5m" } ] }""", "alerts[0].severity")]
    [InlineData("""{ "journeys": { "a": { "availability": 0.9, "latency": { "thresholdMs": 3, "objective": 0.9 }, "p99Ms": 3 } } }""", "p99Ms")]
    public void A_mistake_is_refused_naming_the_field(string json, string field)
    {
        var error = Assert.Throws<InvalidDataException>(() => SloObjectives.Parse(json, "objectives.json"));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("objectives.json", error.Message, StringComparison.Ordinal);
    }
}

internal static class Repository
{
    public static string File(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory.FullName, "ScaleShop.slnx")))
        {
            directory = directory.Parent;
        }

        return Path.Combine([directory?.FullName ?? throw new InvalidOperationException("Not inside the repository."), .. parts]);
    }
}
