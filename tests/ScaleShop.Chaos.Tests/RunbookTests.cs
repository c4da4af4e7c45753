using System.Diagnostics;
using ScaleShop.Chaos.Runbooks;

namespace ScaleShop.Chaos.Tests;

/// <summary>
/// The shipped runbooks are executable and every experiment rehearses one; the drill itself tells a runbook that
/// rotted or never verifies from one that works (real bash, small runbooks written for the test).
/// </summary>
public sealed class RunbookTests
{
    private static readonly string RunbooksFolder = RepositoryRoot.RunbooksFolder;

    public static TheoryData<string> RunbookFiles => new(RepositoryRoot.RunbookFiles);

    public static TheoryData<string> Experiments => new(RepositoryRoot.ExperimentFiles.Select(Path.GetFileNameWithoutExtension)!);

    [Theory]
    [MemberData(nameof(Experiments))]
    public void Every_experiment_names_a_runbook_with_steps_and_a_verification(string name)
    {
        var experiment = ExperimentFile.Load(Path.Combine(RepositoryRoot.ExperimentsFolder, name + ".json"));

        Assert.NotNull(experiment.Runbook);
        var runbook = Runbook.Read(Path.Combine(RepositoryRoot.Path, experiment.Runbook));
        Assert.NotNull(runbook.Setup);
        Assert.NotEmpty(runbook.Steps);
        Assert.NotEmpty(runbook.Verifications);
    }

    [Theory]
    [MemberData(nameof(RunbookFiles))]
    public async Task Every_marked_block_is_valid_bash(string file)
    {
        var runbook = Runbook.Read(Path.Combine(RunbooksFolder, file));

        Assert.NotEmpty(runbook.Blocks);
        foreach (var block in runbook.Blocks)
        {
            var start = new ProcessStartInfo("bash", ["-n", "-c", block.Script]) { RedirectStandardError = true, UseShellExecute = false };
            using var bash = Process.Start(start)!;
            var errors = await bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await bash.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(bash.ExitCode == 0, $"{file}:{block.Line}: {errors}");
        }
    }

    [Fact]
    public void Blocks_are_read_with_their_kind_and_section_and_other_blocks_are_ignored()
    {
        var runbook = Runbook.Parse("x.md", """
            # Title
            ```sh runbook
            X=1
            ```
            ## Diagnosis
            ```json
            ## not a heading
            ```
            ```sh
            rm -rf /needs/judgement
            ```
            ```sh runbook
            echo "$X"
            ```
            ## Verify recovery
            ```sh runbook verify
            test "$X" = 1
            ```
            """);

        Assert.Equal("Title", runbook.Title);
        Assert.Equal(["X=1"], [runbook.Setup!.Script]);
        var step = Assert.Single(runbook.Steps);
        Assert.Equal(("Diagnosis", "echo \"$X\""), (step.Section, step.Script));
        var verify = Assert.Single(runbook.Verifications);
        Assert.Equal("Verify recovery", verify.Section);
    }

    [Fact]
    public void An_unknown_marker_is_an_error_not_a_silently_skipped_block()
    {
        var error = Assert.Throws<FormatException>(() => Runbook.Parse("x.md", "```sh runbok\necho\n```\n"));
        Assert.Contains("x.md:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runbook_whose_action_fixes_the_system_is_verified_and_its_failing_diagnosis_is_not_rot()
    {
        var state = Path.Combine(Directory.CreateTempSubdirectory("drill-").FullName, "healthy");
        var result = await DrillAsync($$"""
            # Works
            ```sh runbook
            STATE="{{state}}"
            ```
            ## Diagnosis
            ```sh runbook
            test -f "$STATE"    # fails while broken: the symptom, not rot
            ```
            ## Actions
            ```sh runbook
            touch "$STATE"
            ```
            ## Verify recovery
            ```sh runbook verify
            test -f "$STATE"
            ```
            """);

        Assert.True(result.Passed, string.Join('\n', result.Rotten));
        Assert.Equal([1, 0], result.Steps.Select(s => s.ExitCode ?? -1));
        Assert.Equal(1, result.VerificationAttempts);
    }

    [Fact]
    public async Task A_runbook_whose_actions_do_not_fix_the_system_fails_its_verification()
    {
        var result = await DrillAsync("""
            # Does not fix
            ```sh runbook
            STATE=/nonexistent-scaleshop-state
            ```
            ```sh runbook
            echo "looking at $STATE"
            ```
            ```sh runbook verify
            false
            ```
            """);

        Assert.False(result.Recovered);
        Assert.False(result.Passed);
        Assert.True(result.VerificationAttempts >= 2, "Verification is retried until its deadline.");
    }

    [Theory]
    [InlineData("scaleshop-no-such-command --now", "exit 127")]
    [InlineData("echo \"$UNDEFINED_VARIABLE\"", "unbound variable")]
    [InlineData("echo '{}' | jq '.a |||'", "compile error")]
    public async Task A_step_that_cannot_work_in_any_state_is_rot_even_when_the_system_recovers(string step, string sign)
    {
        var result = await DrillAsync($$"""
            # Rotten
            ```sh runbook
            X=1
            ```
            ```sh runbook
            {{step}}
            ```
            ```sh runbook verify
            true
            ```
            """);

        Assert.True(result.Recovered);
        Assert.False(result.Passed);
        Assert.Contains(sign, Assert.Single(result.Rotten), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Words_like_syntax_error_in_what_a_step_prints_are_not_rot()
    {
        // A diagnosis step that tails a server log: the log may well say "syntax error" or "No such file or directory".
        var result = await DrillAsync("""
            # Log
            ```sh runbook
            X=1
            ```
            ```sh runbook
            printf 'ERROR:  syntax error at or near "x"\nWARNING:  could not open directory "base/1": No such file or directory\n'
            ```
            ```sh runbook verify
            true
            ```
            """);

        Assert.True(result.Passed, string.Join('\n', result.Rotten));
    }

    [Fact]
    public async Task A_step_that_hangs_is_stopped_at_its_timeout()
    {
        var result = await DrillAsync("""
            # Hangs
            ```sh runbook
            X=1
            ```
            ```sh runbook
            sleep 600
            ```
            ```sh runbook verify
            true
            ```
            """);

        Assert.Null(Assert.Single(result.Steps).ExitCode);
        Assert.True(result.Passed);
    }

    private static async Task<DrillResult> DrillAsync(string markdown)
    {
        var runbook = Runbook.Parse("test.md", markdown);
        var settings = new DrillSettings(Path.GetTempPath(), new Dictionary<string, string>(),
            StepTimeout: TimeSpan.FromSeconds(2), VerifyDeadline: TimeSpan.FromSeconds(3), VerifyInterval: TimeSpan.FromMilliseconds(500));
        return await new RunbookDrill(settings).RunAsync(runbook, TestContext.Current.CancellationToken);
    }
}
