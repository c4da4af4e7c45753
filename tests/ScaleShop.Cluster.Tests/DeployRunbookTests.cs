using ScaleShop.Chaos.Runbooks;
using ScaleShop.Cluster.Fleet;

namespace ScaleShop.Cluster.Tests;

/// <summary>
/// docs/runbooks/deploy.md executed as written, with the real CLI, against the fixture's cluster under load: its
/// steps publish and roll out a new version, roll it back (ROLLBACK=1) and scale, every step succeeds, its
/// verification passes, the previous version serves again after the new one was promoted, and no request failed. A
/// runbook whose commands drift from the CLI fails here.
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class DeployRunbookTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task The_deploy_runbook_rolls_out_a_version_rolls_it_back_and_scales_under_its_own_verification()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = RepositoryRoot.Find();
        var version = "runbook-" + Guid.NewGuid().ToString("N")[..6];
        var before = await fixture.Cluster.StatusAsync(ct);
        var instances = before.Instances.Count(i => i.State == "Serving" && i.Weight > 0);
        await using var load = fixture.Load();
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // the load is running before the deploy starts
        var from = load.Now;

        var drill = await new RunbookDrill(new DrillSettings(root, new Dictionary<string, string>
        {
            ["STATE"] = fixture.Cluster.State,
            ["CLI"] = $"dotnet {Path.Combine(root, "src", "ScaleShop.Cli", "bin", "Release", "net10.0", "scaleshop.dll")}",
            ["VERSION"] = version,
            ["INSTANCES"] = instances.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ROLLBACK"] = "1",
            ["NO_COLOR"] = "1",
        }, StepTimeout: TimeSpan.FromMinutes(3), VerifyDeadline: TimeSpan.FromSeconds(60), VerifyInterval: TimeSpan.FromSeconds(1)))
            .RunAsync(Runbook.Read(Path.Combine(root, "docs", "runbooks", "deploy.md")), ct);
        var figures = load.Figures(from, load.Now);

        foreach (var step in drill.Steps)
        {
            output.WriteLine($"{step.Block.Section}:{step.Block.Line} exit {step.ExitCode} in {step.Took.TotalSeconds:0.0} s\n{step.Output}");
        }

        output.WriteLine($"load during the runbook: {figures}");
        Assert.Empty(drill.Rotten);
        Assert.All(drill.Steps, step => Assert.True(step.ExitCode == 0, $"Step at line {step.Block.Line} ({step.Block.Section}) exited {step.ExitCode}:\n{step.Output}"));
        Assert.True(drill.Recovered, $"The runbook's verification never passed:\n{drill.LastVerification?.Output}");
        var after = await fixture.Cluster.StatusAsync(ct);
        Assert.Equal((version, "Promoted"), (after.Rollout?.To, after.Rollout?.Phase)); // the deploy step promoted it ...
        Assert.Equal(before.CurrentVersion, after.CurrentVersion);                       // ... and the roll back step undid it
        Assert.Equal(0, figures.Failures);
    }
}
