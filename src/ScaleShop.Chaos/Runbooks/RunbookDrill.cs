using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ScaleShop.Chaos.Runbooks;

/// <summary>How a runbook is executed against a broken system.</summary>
/// <param name="RepositoryRoot">Where the runbook's relative commands (<c>deploy/local/topology.sh</c>) resolve.</param>
/// <param name="Environment">What the runbook's first block reads: <c>B</c>, <c>PAY</c>, <c>RECS</c>, <c>ADMIN_TOKEN</c>, …</param>
/// <param name="StepTimeout">A step that hangs (a ping to a paused server) is stopped after this and counted as failed, not rotten.</param>
/// <param name="VerifyDeadline">How long recovery may take after the actions: breakers wait out their break, replicas replay.</param>
/// <param name="VerifyInterval">How often verification is tried until then.</param>
public sealed record DrillSettings(
    string RepositoryRoot, IReadOnlyDictionary<string, string> Environment, TimeSpan StepTimeout, TimeSpan VerifyDeadline, TimeSpan VerifyInterval)
{
    /// <summary>As a chaos experiment's drill runs: 30 s a step, verified every 2 s for up to 2 minutes; the runner adds the environment.</summary>
    public static DrillSettings For(string repositoryRoot) =>
        new(repositoryRoot, new Dictionary<string, string>(), StepTimeout: TimeSpan.FromSeconds(30), VerifyDeadline: TimeSpan.FromMinutes(2), VerifyInterval: TimeSpan.FromSeconds(2));
}

/// <summary>A block as it ran: its exit code (null: stopped at the time-out) and what it printed.</summary>
public sealed record BlockRun(RunbookBlock Block, int? ExitCode, string Output, TimeSpan Took);

/// <summary>
/// What a drill found. <see cref="Rotten"/> lists steps that cannot work whatever the system's state (a command
/// that no longer exists, a shell or jq syntax error, an unset variable): a runbook that rotted fails its drill even
/// when the system recovered. <see cref="Recovered"/> is the verification blocks passing, and when.
/// </summary>
public sealed record DrillResult(
    string Runbook, IReadOnlyList<BlockRun> Steps, IReadOnlyList<string> Rotten, bool Recovered, TimeSpan? RecoveredAfter, BlockRun? LastVerification, int VerificationAttempts)
{
    public bool Passed => Recovered && Rotten.Count == 0;
}

/// <summary>
/// Runs a runbook as the engineer on call would, while the failure it is for is in place: every <c>sh runbook</c>
/// step in order (diagnosis, then actions), each after the set-up block and bounded in time; then the
/// <c>sh runbook verify</c> blocks, under <c>set -e -o pipefail</c>, again and again until they pass or the deadline
/// passes. Diagnosis steps may fail (the dependency they ask is down: that is the symptom); they may not rot.
/// </summary>
public sealed class RunbookDrill(DrillSettings settings, Action<string>? log = null)
{
    // Failures no system state explains: the block itself is wrong. Only the shell's and jq's own complaints count —
    // a step's legitimate output (a server log it tails) may well contain "syntax error" or "No such file".
    private static readonly Regex RotSign = new(
        @"^(bash: (-c: )?line \d+: .*(command not found|unbound variable|syntax error.*|unexpected EOF.*)|jq: error: .*|jq: \d+ compile errors?)$",
        RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private const int CommandNotFound = 127;
    private const int OutputKeptChars = 4000;

    public async Task<DrillResult> RunAsync(Runbook runbook, CancellationToken cancellationToken)
    {
        if (runbook.Setup is null)
        {
            throw new InvalidOperationException($"{runbook.Path}: the first 'sh runbook' block (the variables) is missing.");
        }

        if (!runbook.Verifications.Any())
        {
            throw new InvalidOperationException($"{runbook.Path}: no 'sh runbook verify' block: nothing says when the system has recovered.");
        }

        var steps = new List<BlockRun>();
        var rotten = new List<string>();
        foreach (var step in runbook.Steps)
        {
            var run = await RunBlockAsync(runbook.Setup, step, strict: false, cancellationToken);
            steps.Add(run);
            log?.Invoke($"runbook {Path.GetFileName(runbook.Path)}:{step.Line} ({step.Section}) exit {run.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "timeout"} in {run.Took.TotalSeconds:F1} s");
            if (RotIn(run) is { } sign)
            {
                rotten.Add($"{runbook.Path}:{step.Line} ({step.Section}): {sign}\n{run.Output}");
            }
        }

        var verification = new RunbookBlock(
            runbook.Verifications.First().Line, "Verify", RunbookBlockKind.Verify,
            string.Join('\n', runbook.Verifications.Select(v => v.Script)));
        var clock = Stopwatch.StartNew();
        BlockRun? last = null;
        var attempts = 0;
        while (true)
        {
            attempts++;
            last = await RunBlockAsync(runbook.Setup, verification, strict: true, cancellationToken);
            if (last.ExitCode == 0)
            {
                log?.Invoke($"runbook {Path.GetFileName(runbook.Path)}: verified after {clock.Elapsed.TotalSeconds:F1} s ({attempts} attempts)");
                return new DrillResult(runbook.Path, steps, rotten, true, clock.Elapsed, last, attempts);
            }

            if (RotIn(last) is { } sign)
            {
                rotten.Add($"{runbook.Path}:{verification.Line} (Verify): {sign}\n{last.Output}");
                break;
            }

            if (clock.Elapsed + settings.VerifyInterval > settings.VerifyDeadline)
            {
                break;
            }

            await Task.Delay(settings.VerifyInterval, cancellationToken);
        }

        log?.Invoke($"runbook {Path.GetFileName(runbook.Path)}: NOT verified within {settings.VerifyDeadline.TotalSeconds:0} s");
        return new DrillResult(runbook.Path, steps, rotten, false, null, last, attempts);
    }

    private static string? RotIn(BlockRun run) =>
        run.ExitCode == CommandNotFound
            ? "a command is not found (exit 127)"
            : RotSign.Match(run.Output) is { Success: true } sign ? sign.Value : null;

    private async Task<BlockRun> RunBlockAsync(RunbookBlock setup, RunbookBlock block, bool strict, CancellationToken cancellationToken)
    {
        // -u everywhere: a variable the set-up no longer defines is rot. The set-up itself may not fail the block.
        var script = new StringBuilder()
            .AppendLine("set -u")
            .AppendLine(setup.Script)
            .AppendLine(strict ? "set -e -o pipefail" : "")
            .AppendLine(block.Script)
            .ToString();
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = settings.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in settings.Environment)
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var output = new StringBuilder();
        var outputLock = new Lock();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (outputLock)
            {
                if (output.Length < OutputKeptChars)
                {
                    output.AppendLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.StepTimeout);
        int? exitCode;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            exitCode = null;
        }

        lock (outputLock)
        {
            return new BlockRun(block, exitCode, output.ToString(), clock.Elapsed);
        }
    }
}
