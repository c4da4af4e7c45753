using System.Text.Json.Nodes;
using ScaleShop.Load;

namespace ScaleShop.Chaos.Tests;

public sealed class ExperimentFileTests
{
    private const string Valid = """
        {
          "name": "example",
          "description": "a shard dies",
          "load": { "rate": 20, "mix": "browse=60,search=20,cart=10,checkout=10", "users": 1000, "sessions": 50, "products": 1000, "categories": 10 },
          "phases": { "warmUpSeconds": 5, "beforeSeconds": 10, "duringSeconds": 20, "recoverySeconds": 8, "afterSeconds": 10 },
          "short": { "beforeSeconds": 2, "duringSeconds": 3, "afterSeconds": 2 },
          "faults": [
            { "type": "process", "action": "pause", "server": "postgres-b" },
            { "type": "http", "url": "${payments}/admin/faults", "body": { "down": true }, "rollbackBody": {} }
          ],
          "hypothesis": {
            "slos": [
              { "journey": "browse", "availability": 0.999, "p99Ms": 500 },
              { "journey": "checkout", "shards": ["shard0", "shard1"], "availability": 0.99, "p99Ms": 1500, "phases": ["during"] }
            ],
            "abort": { "windowSeconds": 5, "minRequests": 20, "availability": 0.8, "p99Factor": 5 },
            "invariants": { "pendingSettleWithinSeconds": 60 }
          }
        }
        """;

    [Fact]
    public void A_valid_file_is_read_with_every_part()
    {
        var experiment = ExperimentFile.Parse(Valid, "valid.json");

        Assert.Equal("example", experiment.Name);
        Assert.Equal(20, experiment.Load.Rate);
        Assert.Equal(TimeSpan.FromSeconds(3), experiment.Short.During);
        Assert.Equal(TimeSpan.Zero, experiment.Short.WarmUp);
        Assert.Equal(TimeSpan.FromSeconds(8), experiment.Full.Recovery);
        Assert.Equal(TimeSpan.Zero, experiment.Short.Recovery);
        Assert.Equal(new ProcessFault(ProcessFaultKind.Pause, "postgres-b"), experiment.Faults[0]);
        var http = Assert.IsType<HttpFault>(experiment.Faults[1]);
        Assert.Equal(HttpMethod.Put, http.Method);
        Assert.Equal("""{"down":true}""", System.Text.Json.JsonSerializer.Serialize(http.Body));
        var checkout = experiment.Hypothesis.Slos[1];
        Assert.Equal(JourneyKind.Checkout, checkout.Journey);
        Assert.Equal(["shard0", "shard1"], checkout.Shards!.Order());
        Assert.Equal([Phase.During], checkout.Phases);
        Assert.Equal([Phase.Before, Phase.During, Phase.After], experiment.Hypothesis.Slos[0].Phases.Order());
        Assert.Equal(TimeSpan.FromSeconds(60), experiment.Hypothesis.Invariants.PendingSettleWithin);
        Assert.True(experiment.Hypothesis.Invariants.AcknowledgedOrdersFound);
        Assert.Equal(20, experiment.Hypothesis.MinRequestsForLatency); // not in the file: the default
    }

    public static TheoryData<string> ShippedExperiments => new(RepositoryRoot.ExperimentFiles);

    [Theory]
    [MemberData(nameof(ShippedExperiments))]
    public void Every_shipped_experiment_is_valid_and_named_after_its_file(string path)
    {
        var experiment = ExperimentFile.Load(path);

        Assert.Equal(Path.GetFileNameWithoutExtension(path), experiment.Name);
        Assert.NotEmpty(experiment.Description);
        // CI runs the short version of each: it must stay short.
        Assert.InRange(experiment.Short.Total.TotalSeconds, 10, 40);
    }

    [Fact]
    public void The_shipped_experiments_cover_every_fault_the_issue_lists()
    {
        var faults = RepositoryRoot.ExperimentFiles.Select(ExperimentFile.Load).SelectMany(e => e.Faults).Select(f => f.Describe()).ToList();

        Assert.Contains("stop postgres-b", faults);
        Assert.Contains("pause postgres-b", faults);
        Assert.Contains("stop redis", faults);
        Assert.Contains("stop nats", faults);
        Assert.Contains("stop replica", faults);
        Assert.Contains(faults, f => f.Contains("${recommendations}", StringComparison.Ordinal) && f.Contains("\"latencyMs\":2000", StringComparison.Ordinal));
        Assert.Contains(faults, f => f.Contains("${recommendations}", StringComparison.Ordinal) && f.Contains("\"failureRate\":1", StringComparison.Ordinal));
        Assert.Contains(faults, f => f.Contains("${payments}", StringComparison.Ordinal) && f.Contains("\"failureRate\":0.5", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("load", "rate", null, "load.rate: required")]
    [InlineData("load", "rate", 0, "load.rate: must be between")]
    [InlineData("load", "mix", "browse=x", "load.mix:")]
    [InlineData("phases", "duringSeconds", -1, "phases.duringSeconds: must be between")]
    [InlineData("short", "afterSeconds", null, "short.afterSeconds: required")]
    [InlineData("phases", "recoverySeconds", -5, "phases.recoverySeconds: must be between 0")]
    [InlineData("faults.0", "server", "postgres-c", "faults[0].server: one of")]
    [InlineData("faults.0", "action", "explode", "faults[0].action:")]
    [InlineData("faults.1", "type", "smoke", "faults[1].type:")]
    [InlineData("faults.1", "rollbackBody", null, "faults[1].rollbackBody: a JSON object is required")]
    [InlineData("faults.1", "method", "GET", "faults[1].method: PUT, POST or DELETE")]
    [InlineData("hypothesis.slos.0", "journey", "teleport", "hypothesis.slos[0].journey:")]
    [InlineData("hypothesis.slos.0", "shards", "shard0", "hypothesis.slos[0].shards: browse and search are anonymous")]
    [InlineData("hypothesis.slos.1", "availability", 1.5, "hypothesis.slos[1].availability: must be between 0 and 1")]
    [InlineData("hypothesis.slos.1", "p99Ms", null, "hypothesis.slos[1].p99Ms: required")]
    [InlineData("hypothesis.slos.1", "phases", "sometime", "hypothesis.slos[1].phases: before, during or after")]
    [InlineData("hypothesis.abort", "p99Factor", 0.5, "hypothesis.abort.p99Factor: must be between 1")]
    [InlineData("hypothesis", "minRequestsForLatency", 0, "hypothesis.minRequestsForLatency: must be between 1")]
    [InlineData("", "name", "Not A Name", "name: lower-case letters")]
    public void A_bad_field_is_refused_with_its_path(string parent, string field, object? value, string expected)
    {
        var document = JsonNode.Parse(Valid, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        var node = parent.Split('.', StringSplitOptions.RemoveEmptyEntries).Aggregate(document, (n, part) => int.TryParse(part, out var i) ? n[i]! : n[part]!);
        node.AsObject()[field] = value switch
        {
            null => null,
            string text when field is "shards" or "phases" => new JsonArray(text),
            string text => text,
            double number => number,
            int number => number,
            _ => throw new ArgumentOutOfRangeException(nameof(value)),
        };
        if (value is null)
        {
            node.AsObject().Remove(field);
        }

        var error = Assert.Throws<ExperimentFileException>(() => ExperimentFile.Parse(document.ToJsonString(), "bad.json"));

        Assert.Contains(error.Problems, p => p.StartsWith(expected, StringComparison.Ordinal));
        Assert.StartsWith("bad.json: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_field_is_refused_not_ignored()
    {
        var error = Assert.Throws<ExperimentFileException>(() => ExperimentFile.Parse(Valid.Replace("\"availability\": 0.99,", "\"availabilty\": 0.99,", StringComparison.Ordinal), "typo.json"));

        Assert.Contains("availabilty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Assert.Throws<ExperimentFileException>(() => ExperimentFile.Parse("""{ "name": "x" }""", "empty.json"));

        Assert.Contains("load: required", error.Problems[0], StringComparison.Ordinal);
        Assert.Contains(error.Problems, p => p.StartsWith("phases:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("faults:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("hypothesis:", StringComparison.Ordinal));
    }
}
