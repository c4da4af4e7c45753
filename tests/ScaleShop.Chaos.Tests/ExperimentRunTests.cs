using System.Diagnostics;
using System.Text.Json;

namespace ScaleShop.Chaos.Tests;

/// <summary>
/// The short version of every shipped experiment, end to end, as a runbook drill: while the fault is in place the
/// experiment's runbook (docs/runbooks/) is executed — its diagnosis and action steps, then its verification until it
/// passes — so the runbook, not the runner, brings the system back, and a runbook that rotted fails here. chaos/run.sh starts a payment provider and a
/// storefront on fresh databases of the chaos topology, runs the experiment (real faults: servers stopped and
/// paused, fault switches flipped) and stops everything. A broken degradation contract fails the test with the
/// report. These stop shared servers, so they run only in test.sh's chaos stage, against a topology of their
/// own (SCALESHOP_CHAOS_TOPOLOGY=1 with SCALESHOP_TOPOLOGY_DIR and SCALESHOP_TOPOLOGY_PORT_OFFSET).
/// </summary>
public sealed class ExperimentRunTests(ITestOutputHelper output)
{
    public const string StageVariable = "SCALESHOP_CHAOS_TOPOLOGY";

    // A short experiment is about 30 s, the system's start about 10 s, settling pending orders up to its bound.
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);

    public static TheoryData<string> Experiments => new(RepositoryRoot.ExperimentFiles.Select(Path.GetFileNameWithoutExtension)!);

    [Theory]
    [MemberData(nameof(Experiments))]
    public async Task The_short_version_holds_its_hypothesis_and_its_runbook_brings_the_system_back(string name)
    {
        if (Environment.GetEnvironmentVariable(StageVariable) != "1")
        {
            Assert.Skip($"Chaos experiments stop and pause servers: they run only in test.sh's chaos stage, on a topology of their own ({StageVariable}=1).");
        }

        var folder = Directory.CreateTempSubdirectory($"chaos-{name}-").FullName;
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot.Path, "chaos", "run.sh"), name, "--short", "--drill", "--out", folder])
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // test.sh has built everything in Release already.
            Environment = { ["SKIP_BUILD"] = "1", ["NO_COLOR"] = "1" },
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGINT-like end for the script would be kinder, but its cleanup trap also runs on SIGTERM.
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        var report = Path.Combine(folder, "report.md");
        Assert.True(process.ExitCode == 0,
            $"chaos/run.sh {name} --short exited with {process.ExitCode}.\n{(File.Exists(report) ? await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken) : await stderr)}");
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "summary.json"), TestContext.Current.CancellationToken));
        Assert.True(summary.RootElement.GetProperty("passed").GetBoolean());
        // Every phase ran and measured something: a run that sent nothing proves nothing.
        Assert.Equal(["before", "during", "after"], summary.RootElement.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()).Where(p => p != "recovery"));
        Assert.True(summary.RootElement.GetProperty("orders").GetProperty("acknowledged").GetInt32() > 0, "No order was acknowledged: the run checked no order.");
        var drill = summary.RootElement.GetProperty("drill");
        Assert.True(drill.GetProperty("recovered").GetBoolean(), "The runbook's verification did not pass.");
        Assert.Equal(0, drill.GetProperty("rotten").GetInt32());
        Assert.True(drill.GetProperty("steps").GetInt32() > 0, "The drill ran no step of its runbook.");
    }
}
