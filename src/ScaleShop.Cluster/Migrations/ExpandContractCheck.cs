using System.Text.RegularExpressions;

namespace ScaleShop.Cluster.Migrations;

/// <summary>Why one script may not run while the current version still serves.</summary>
public sealed record MigrationFinding(string Script, string Problem);

public sealed record MigrationCheckResult(string RunningVersion, string CandidateVersion, IReadOnlyList<string> NewScripts, IReadOnlyList<MigrationFinding> Refused)
{
    public bool Allowed => Refused.Count == 0;

    public string Summary => Allowed
        ? $"{NewScripts.Count} new script(s), all compatible with {RunningVersion}"
        : $"refused: {string.Join("; ", Refused.Select(f => $"{f.Script}: {f.Problem}"))}";
}

/// <summary>
/// Expand/contract: during a rolling deploy the old and the new version run side by side on the same databases, and
/// the new one migrates them when its first instance starts. So a new script must leave the schema usable by the
/// running version (expand: add tables, nullable or defaulted columns, indexes); anything that takes away or
/// changes what the running version reads or writes (contract: drop, rename, change a type, make a column required)
/// is refused — unless the script says, in a <c>-- contract: &lt;version&gt;</c> header, which version stopped using
/// what it removes, and every running version is that one or later in the deploy history.
/// A script that was already shipped may not change either: DbUp never runs a script twice, so the change would
/// silently never reach the databases that have it.
/// </summary>
public static partial class ExpandContractCheck
{
    private static readonly (Regex Pattern, string Problem)[] Breaking =
    [
        (DropTable(), "drops a table the running version may use"),
        (DropColumn(), "drops a column the running version may read or write"),
        (Rename(), "renames a table or column the running version uses by its old name"),
        (ChangeType(), "changes a column's type under the running version"),
        (SetNotNull(), "makes an existing column required: the running version's inserts without it would fail"),
        (AddRequiredColumn(), "adds a NOT NULL column without a default: the running version's inserts would fail"),
        (DropView(), "drops a view the running version may query"),
        (Truncate(), "deletes the running version's data"),
    ];

    /// <param name="running">The scripts of the version now serving (all of them applied).</param>
    /// <param name="candidate">The scripts of the version about to start.</param>
    /// <param name="history">Versions in the order they were deployed (oldest first); a contract header names one of them.</param>
    public static MigrationCheckResult Check(
        string runningVersion, IReadOnlyDictionary<string, MigrationScript> running,
        string candidateVersion, IReadOnlyDictionary<string, MigrationScript> candidate,
        IReadOnlyList<string> history)
    {
        var refused = new List<MigrationFinding>();
        var added = new List<string>();
        foreach (var script in candidate.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (running.TryGetValue(script.Name, out var shipped))
            {
                if (!string.Equals(Normalise(shipped.Sql), Normalise(script.Sql), StringComparison.Ordinal))
                {
                    refused.Add(new MigrationFinding(script.Name, "changes a script that was already shipped (DbUp will not run it again): add a new script instead"));
                }

                continue;
            }

            added.Add(script.Name);
            var problems = Problems(script.Sql);
            if (problems.Count == 0)
            {
                continue;
            }

            if (ContractHeader().Match(script.Sql) is { Success: true } contract)
            {
                var after = contract.Groups["version"].Value;
                if (IsAtOrAfter(runningVersion, after, history))
                {
                    continue; // the running version no longer needs what the script removes
                }

                refused.Add(new MigrationFinding(script.Name,
                    $"a contract step safe after {after}, but {runningVersion} is running ({string.Join(", ", problems)})"));
                continue;
            }

            refused.AddRange(problems.Select(problem => new MigrationFinding(script.Name, problem)));
        }

        foreach (var gone in running.Keys.Except(candidate.Keys, StringComparer.Ordinal))
        {
            refused.Add(new MigrationFinding(gone, "shipped by the running version but missing from the new one: the new version's schema history would not match the databases"));
        }

        return new MigrationCheckResult(runningVersion, candidateVersion, added, refused);
    }

    /// <summary>The breaking statements in a script (comments left out, so a comment mentioning DROP is not one).</summary>
    public static IReadOnlyList<string> Problems(string sql)
    {
        var code = Comments().Replace(sql, " ");
        return Breaking.Where(rule => rule.Pattern.IsMatch(code)).Select(rule => rule.Problem).ToList();
    }

    private static bool IsAtOrAfter(string running, string named, IReadOnlyList<string> history)
    {
        if (string.Equals(running, named, StringComparison.Ordinal))
        {
            return true;
        }

        var namedAt = LastIndexOf(history, named);
        var runningAt = LastIndexOf(history, running);
        return namedAt >= 0 && runningAt > namedAt;
    }

    private static int LastIndexOf(IReadOnlyList<string> history, string version)
    {
        for (var i = history.Count - 1; i >= 0; i--)
        {
            if (string.Equals(history[i], version, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Normalise(string sql) => sql.ReplaceLineEndings("\n").Trim();

    [GeneratedRegex(@"--[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"^\s*--\s*contract:\s*(?<version>[A-Za-z0-9._-]+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ContractHeader();

    [GeneratedRegex(@"\bDROP\s+TABLE\b", RegexOptions.IgnoreCase)]
    private static partial Regex DropTable();

    [GeneratedRegex(@"\bDROP\s+COLUMN\b|\bALTER\s+TABLE\s+\S+\s+DROP\s+(?!CONSTRAINT\b|INDEX\b|DEFAULT\b)\w+", RegexOptions.IgnoreCase)]
    private static partial Regex DropColumn();

    [GeneratedRegex(@"\bRENAME\s+(COLUMN\s+|TO\b)|\bALTER\s+TABLE\s+\S+\s+RENAME\b", RegexOptions.IgnoreCase)]
    private static partial Regex Rename();

    [GeneratedRegex(@"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b", RegexOptions.IgnoreCase)]
    private static partial Regex ChangeType();

    [GeneratedRegex(@"\bSET\s+NOT\s+NULL\b", RegexOptions.IgnoreCase)]
    private static partial Regex SetNotNull();

    // ADD [COLUMN] name type ... NOT NULL with no DEFAULT before the statement or the next clause ends.
    [GeneratedRegex(@"\bADD\s+(COLUMN\s+)?(IF\s+NOT\s+EXISTS\s+)?\w+\s+(?:(?!\bDEFAULT\b)[^,;])*\bNOT\s+NULL\b(?:(?!\bDEFAULT\b)[^,;])*(?=[,;]|$)", RegexOptions.IgnoreCase)]
    private static partial Regex AddRequiredColumn();

    [GeneratedRegex(@"\bDROP\s+(MATERIALIZED\s+)?VIEW\b", RegexOptions.IgnoreCase)]
    private static partial Regex DropView();

    [GeneratedRegex(@"\bTRUNCATE\b|\bDELETE\s+FROM\s+\w+\s*;", RegexOptions.IgnoreCase)]
    private static partial Regex Truncate();
}
