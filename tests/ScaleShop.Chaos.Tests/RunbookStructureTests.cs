using System.Text.Json;
using System.Text.RegularExpressions;

namespace ScaleShop.Chaos.Tests;

/// <summary>
/// Every runbook reads the same way at 3 a.m., whoever wrote it: a failure situation has Symptoms, Where it shows
/// (dashboard panel, alert, incident), Diagnosis, Actions, Verify and Undo, in that order; a planned operation has When
/// to use, Commands, Verify and Undo. Each names its owning team (a team of ops/ownership.json) on its
/// <c>**Owner:**</c> line, its verification (<c>sh runbook verify</c>) sits in Verify below every step, and the index
/// (docs/runbooks/README.md) lists every runbook. Static: no system needed.
/// </summary>
public sealed partial class RunbookStructureTests
{
    private static readonly string RunbooksFolder = RepositoryRoot.RunbooksFolder;

    /// <summary>Runbooks for planned work on a healthy system rather than for a failure.</summary>
    private static readonly HashSet<string> PlannedOperations = new(StringComparer.Ordinal) { "deploy.md", "move-a-shard.md" };

    private static readonly string[] FailureSections = ["Symptoms", "Where it shows", "Diagnosis", "Actions", "Verify", "Undo"];

    private static readonly string[] PlannedSections = ["When to use", "Commands", "Verify", "Undo"];

    public static TheoryData<string> RunbookFiles => new(RepositoryRoot.RunbookFiles);

    [Theory]
    [MemberData(nameof(RunbookFiles))]
    public void Every_runbook_has_the_sections_of_its_kind_in_order(string file)
    {
        var sections = Sections(File.ReadAllText(Path.Combine(RunbooksFolder, file)));
        var required = PlannedOperations.Contains(file) ? PlannedSections : FailureSections;

        var previous = -1;
        foreach (var name in required)
        {
            var index = sections.FindIndex(s => Names(s.Heading, name));
            Assert.True(index >= 0,
                $"{file} has no '## {name}' section (a {(PlannedOperations.Contains(file) ? "planned operation" : "failure")} runbook needs {string.Join(", ", required)}); it has: {string.Join(" | ", sections.Select(s => s.Heading))}.");
            if (index <= previous)
            {
                Assert.Fail($"{file}: '## {sections[index].Heading}' comes before '## {sections[previous].Heading}'; the order is {string.Join(", ", required)}.");
            }

            Assert.False(string.IsNullOrWhiteSpace(sections[index].Body), $"{file}: '## {sections[index].Heading}' is empty.");
            previous = index;
        }
    }

    [Theory]
    [MemberData(nameof(RunbookFiles))]
    public void Every_runbook_verifies_in_its_verify_section_after_all_its_steps(string file)
    {
        // A drill (RunbookDrill) runs every step first and the verification last: a step written below the
        // verification would read as "after recovery" but run before it.
        var runbook = ScaleShop.Chaos.Runbooks.Runbook.Read(Path.Combine(RunbooksFolder, file));
        var verifications = runbook.Verifications.ToList();

        Assert.True(verifications.Count > 0, $"{file} has no 'sh runbook verify' block: nothing says when it worked.");
        Assert.All(verifications, v => Assert.True(Names(v.Section, "Verify"), $"{file}:{v.Line}: a 'sh runbook verify' block outside the Verify section ({v.Section})."));
        var firstVerification = verifications.Min(v => v.Line);
        Assert.All(runbook.Steps, step => Assert.True(step.Line < firstVerification,
            $"{file}:{step.Line}: a 'sh runbook' step below the verification ({step.Section}); the drill runs it before verifying, so put it with the actions."));
    }

    [Theory]
    [MemberData(nameof(RunbookFiles))]
    public void A_failure_runbook_says_where_it_shows_on_the_dashboard_and_in_incidents(string file)
    {
        if (PlannedOperations.Contains(file))
        {
            return;
        }

        var whereItShows = Sections(File.ReadAllText(Path.Combine(RunbooksFolder, file))).Single(s => Names(s.Heading, "Where it shows")).Body;

        Assert.True(whereItShows.Contains("/ops", StringComparison.Ordinal), $"{file}: 'Where it shows' names no panel of the /ops dashboard.");
        Assert.True(whereItShows.Contains("incident", StringComparison.OrdinalIgnoreCase), $"{file}: 'Where it shows' does not say how an incident shows it.");
    }

    [Theory]
    [MemberData(nameof(RunbookFiles))]
    public void Every_runbook_names_an_owning_team_of_the_ownership_file(string file)
    {
        var teams = Teams();
        var owner = OwnerLine().Match(File.ReadAllText(Path.Combine(RunbooksFolder, file)));

        Assert.True(owner.Success, $"{file} has no '**Owner:**' line.");
        var named = Quoted().Matches(owner.Groups["owner"].Value).Select(m => m.Groups["word"].Value).ToList();
        Assert.True(named.Any(teams.Contains),
            $"{file}: the '**Owner:**' line names no team of ops/ownership.json as `team` (teams: {string.Join(", ", teams.Order(StringComparer.Ordinal))}; named: {string.Join(", ", named)}).");
    }

    [Fact]
    public void The_index_lists_every_runbook_and_links_only_runbooks_that_exist()
    {
        var index = File.ReadAllText(Path.Combine(RunbooksFolder, "README.md"));
        var linked = LocalLink().Matches(index).Select(m => m.Groups["file"].Value).ToHashSet(StringComparer.Ordinal);

        foreach (var file in RepositoryRoot.RunbookFiles)
        {
            Assert.True(linked.Contains(file), $"docs/runbooks/README.md does not list {file}.");
        }

        foreach (var file in linked)
        {
            Assert.True(File.Exists(Path.Combine(RunbooksFolder, file)), $"docs/runbooks/README.md links {file}, which does not exist.");
        }
    }

    [Fact]
    public void Sections_are_read_outside_code_blocks_and_matched_by_their_first_words()
    {
        var sections = Sections("""
            # Title
            ## Verify recovery, then resolve
            ```sh runbook
            ## not a heading
            ```
            ## Verifying is not Verify
            text
            """);

        Assert.Equal(["Verify recovery, then resolve", "Verifying is not Verify"], sections.Select(s => s.Heading));
        Assert.Contains("## not a heading", sections[0].Body, StringComparison.Ordinal);
        Assert.True(Names(sections[0].Heading, "Verify"));
        Assert.False(Names(sections[1].Heading, "Verify"));
    }

    /// <summary>A heading names a required section when it is that name, or that name followed by more words ("Verify recovery").</summary>
    private static bool Names(string heading, string name) =>
        heading.Equals(name, StringComparison.OrdinalIgnoreCase)
        || (heading.StartsWith(name, StringComparison.OrdinalIgnoreCase) && heading.Length > name.Length && heading[name.Length] is ' ' or ',' or ':');

    /// <summary>The <c>## </c> sections of a markdown file, each with its text up to the next one (code blocks skipped when looking for headings).</summary>
    private static List<(string Heading, string Body)> Sections(string markdown)
    {
        var sections = new List<(string Heading, List<string> Body)>();
        var inCode = false;
        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }
            else if (!inCode && line.StartsWith("## ", StringComparison.Ordinal))
            {
                sections.Add((line[3..].Trim(), []));
                continue;
            }

            if (sections.Count > 0)
            {
                sections[^1].Body.Add(line);
            }
        }

        return sections.Select(s => (s.Heading, string.Join('\n', s.Body))).ToList();
    }

    private static HashSet<string> Teams()
    {
        using var ownership = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "ops", "ownership.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return ownership.RootElement.GetProperty("teams").EnumerateObject().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^\*\*Owner:\*\*(?<owner>.*)$", RegexOptions.Multiline)]
    private static partial Regex OwnerLine();

    [GeneratedRegex(@"`(?<word>[a-z][a-z0-9-]*)`")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\]\((?<file>[a-z0-9-]+\.md)(#[^)]*)?\)")]
    private static partial Regex LocalLink();
}
