using System.Text.RegularExpressions;

namespace ScaleShop.Chaos.Runbooks;

/// <summary>What a marked block of a runbook is for.</summary>
public enum RunbookBlockKind
{
    /// <summary><c>sh runbook</c>: defines the variables (the first block), reads state, or takes a safe-to-repeat action.</summary>
    Step,

    /// <summary><c>sh runbook verify</c>: succeeds (exit 0) only once the system has recovered.</summary>
    Verify,
}

/// <summary>One fenced block a test may run, with the line it starts on and the section (<c>## …</c>) it is in.</summary>
public sealed record RunbookBlock(int Line, string Section, RunbookBlockKind Kind, string Script);

/// <summary>
/// A runbook under <c>docs/runbooks/</c> read for its executable parts: fenced blocks whose info string is
/// <c>sh runbook</c> or <c>sh runbook verify</c>. Plain <c>sh</c> blocks need judgement and are never run. The first
/// marked block defines the variables every other block uses, so it is run in front of each of them.
/// </summary>
public sealed partial record Runbook(string Path, string Title, IReadOnlyList<RunbookBlock> Blocks)
{
    public RunbookBlock? Setup => Blocks.Count > 0 && Blocks[0].Kind == RunbookBlockKind.Step ? Blocks[0] : null;

    /// <summary>Every step after the set-up, in the order an engineer reads them: diagnosis, then actions.</summary>
    public IEnumerable<RunbookBlock> Steps => Blocks.Skip(1).Where(b => b.Kind == RunbookBlockKind.Step);

    public IEnumerable<RunbookBlock> Verifications => Blocks.Where(b => b.Kind == RunbookBlockKind.Verify);

    public static Runbook Read(string path) => Parse(path, File.ReadAllText(path));

    public static Runbook Parse(string path, string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var title = "";
        var section = "";
        var blocks = new List<RunbookBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("# ", StringComparison.Ordinal) && title.Length == 0)
            {
                title = line[2..].Trim();
            }
            else if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
            }
            else if (Fence().Match(line) is { Success: true } fence)
            {
                var body = new List<string>();
                var start = i + 1;
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                {
                    body.Add(lines[i]);
                }

                if (i == lines.Length)
                {
                    throw new FormatException($"{path}:{start}: a code block is never closed.");
                }

                var marker = fence.Groups["marker"].Value.Trim();
                if (marker.Length == 0)
                {
                    continue;
                }

                var kind = marker switch
                {
                    "runbook" => RunbookBlockKind.Step,
                    "runbook verify" => RunbookBlockKind.Verify,
                    _ => throw new FormatException($"{path}:{start}: unknown block marker 'sh {marker}' (use 'sh runbook' or 'sh runbook verify')."),
                };
                blocks.Add(new RunbookBlock(start, section, kind, string.Join('\n', body)));
            }
            else if (line.StartsWith("```", StringComparison.Ordinal))
            {
                // Another language's block (json, text): skip it whole, so nothing inside reads as a heading.
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                {
                }
            }
        }

        return new Runbook(path, title, blocks);
    }

    [GeneratedRegex(@"^```sh(?<marker>( [a-z ]+)?)\s*$")]
    private static partial Regex Fence();
}
