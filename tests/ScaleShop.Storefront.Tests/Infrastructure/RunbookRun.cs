using ScaleShop.Chaos.Runbooks;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// A runbook of docs/runbooks/ executed as written — its <c>sh runbook</c> steps, then its <c>sh runbook verify</c>
/// blocks until they pass — by the chaos tooling's own <see cref="RunbookDrill"/>, against a storefront the test
/// started: <c>B</c> is its address and <c>ADMIN_TOKEN</c> the token <paramref name="admin"/> sends.
/// </summary>
internal static class RunbookRun
{
    public static async Task<DrillResult> DrillAsync(string file, HttpClient admin, IReadOnlyDictionary<string, string>? variables = null)
    {
        var environment = new Dictionary<string, string>(variables ?? new Dictionary<string, string>())
        {
            ["B"] = admin.BaseAddress!.ToString().TrimEnd('/'),
            ["ADMIN_TOKEN"] = admin.DefaultRequestHeaders.Authorization?.Parameter ?? throw new ArgumentException("The client sends no admin token.", nameof(admin)),
        };
        var drill = await new RunbookDrill(new DrillSettings(RepositoryRoot.Path, environment,
                StepTimeout: TimeSpan.FromSeconds(30), VerifyDeadline: TimeSpan.FromSeconds(90), VerifyInterval: TimeSpan.FromSeconds(1)))
            .RunAsync(Runbook.Read(Path.Combine(RepositoryRoot.Path, "docs", "runbooks", file)), TestContext.Current.CancellationToken);
        foreach (var step in drill.Steps)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"{step.Block.Section}:{step.Block.Line} exit {step.ExitCode}\n{step.Output}");
        }

        return drill;
    }

    /// <summary>No step rotted, every step succeeded (the system is in the state the runbook expects, so none should fail) and the verification passed.</summary>
    public static void AssertRanCleanly(DrillResult drill)
    {
        Assert.Empty(drill.Rotten);
        Assert.All(drill.Steps, step => Assert.True(step.ExitCode == 0, $"Step at line {step.Block.Line} ({step.Block.Section}) exited {step.ExitCode}:\n{step.Output}"));
        Assert.True(drill.Recovered, $"The runbook's verification never passed:\n{drill.LastVerification?.Output}");
    }
}
