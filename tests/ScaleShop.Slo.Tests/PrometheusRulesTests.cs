using System.Diagnostics;

namespace ScaleShop.Slo.Tests;

/// <summary>
/// The committed Prometheus rules are the objectives file's, and Prometheus' own tool accepts them and runs their
/// unit tests (deploy/prometheus/slo-rules.test.yml: an outage pages within minutes, a budget-neutral stream never).
/// </summary>
public sealed class PrometheusRulesTests
{
    [Fact]
    public void The_committed_rules_are_generated_from_the_objectives_file()
    {
        var generated = PrometheusRules.Generate(SloObjectives.Load(Repository.File("load", "objectives.json")), "load/objectives.json");
        Assert.True(generated == File.ReadAllText(Repository.File("deploy", "prometheus", "slo-rules.yml")),
            "deploy/prometheus/slo-rules.yml is stale: run `dotnet run --project src/ScaleShop.Cli -- slo rules --out deploy/prometheus/slo-rules.yml`.");
    }

    [Fact]
    public void Every_journey_has_a_latency_ratio_at_its_own_threshold_and_every_alert_both_windows()
    {
        var objectives = SloObjectives.Load(Repository.File("load", "objectives.json"));
        var rules = PrometheusRules.Generate(objectives, "test");
        Assert.Contains("""journey="checkout",le="0.3"}[5m]""", rules, StringComparison.Ordinal);
        Assert.Contains("""journey="recommendations",le="0.25"}[3d]""", rules, StringComparison.Ordinal);
        // checkout availability 99.95%: 14.4 x 0.05% = 0.72% errors over both windows.
        Assert.Contains("""scaleshop:journey_errors:ratio_rate1h{journey="checkout"} > 0.0072""", rules, StringComparison.Ordinal);
        Assert.Contains("""and scaleshop:journey_errors:ratio_rate5m{journey="checkout"} > 0.0072""", rules, StringComparison.Ordinal);
        Assert.Equal(objectives.Journeys.Count * 2 * objectives.Alerts.Count, rules.Split('\n').Count(l => l.Contains("- alert: ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("check", "rules", "slo-rules.yml")]
    [InlineData("test", "rules", "slo-rules.test.yml")]
    public async Task Promtool_accepts_the_rules_and_their_unit_tests_pass(string verb, string noun, string file)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("promtool is missing: install the Debian package prometheus (./test.sh does).");
        var start = new ProcessStartInfo(promtool, [verb, noun, file])
        {
            WorkingDirectory = Repository.File("deploy", "prometheus"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"promtool {verb} {noun} {file} exited {process.ExitCode}:\n{await output}\n{await errors}");
        Assert.Contains("SUCCESS", await output + await errors, StringComparison.Ordinal);
    }
}
