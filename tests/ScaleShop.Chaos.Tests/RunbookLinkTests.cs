using System.Text.RegularExpressions;

namespace ScaleShop.Chaos.Tests;

/// <summary>
/// Runbooks and what leads to them link both ways: every alert rule carries the URL of a runbook that exists and
/// names the alert back; every runbook's <c>**Alerts:**</c> line names only alerts that exist. That every owned component
/// (ops/ownership.json) has a runbook in the index is checked through the storefront's own ownership loader
/// (IncidentTests.The_shipped_ownership_file_gives_every_component_an_owner_and_a_runbook).
/// </summary>
public sealed partial class RunbookLinkTests
{
    private static readonly string Root = RepositoryRoot.Path;
    private static readonly string RulesFile = Path.Combine(Root, "deploy", "prometheus", "slo-rules.yml");

    [Fact]
    public void Every_alert_rule_links_a_runbook_that_names_it()
    {
        var alerts = AlertRules();

        Assert.NotEmpty(alerts);
        foreach (var (name, runbook) in alerts)
        {
            Assert.False(runbook is null, $"An alert {name} in {RulesFile} has no runbook_url annotation.");
            Assert.True(File.Exists(Path.Combine(Root, runbook)), $"{name} links {runbook}, which does not exist.");
            Assert.Contains(name, AlertsNamedBy(runbook));
        }
    }

    [Fact]
    public void Every_runbook_names_its_alerts_and_only_alerts_that_exist()
    {
        var existing = AlertRules().Select(a => a.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var runbook in Runbooks())
        {
            var text = File.ReadAllText(Path.Combine(Root, runbook));
            Assert.True(AlertsLine().IsMatch(text), $"{runbook} has no '**Alerts:**' line (write 'none: …' and what leads there instead).");
            foreach (var named in AlertsNamedBy(runbook))
            {
                Assert.True(existing.Contains(named), $"{runbook} names alert {named}, which no rule in {RulesFile} defines.");
            }
        }
    }

    private static IEnumerable<string> Runbooks() =>
        Directory.EnumerateFiles(Path.Combine(Root, "docs", "runbooks"), "*.md")
            .Where(f => Path.GetFileName(f) != "README.md")
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    private static IReadOnlySet<string> AlertsNamedBy(string runbook)
    {
        var match = AlertsLine().Match(File.ReadAllText(Path.Combine(Root, runbook)));
        return match.Success
            ? AlertName().Matches(match.Groups["alerts"].Value).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();
    }

    /// <summary>Each <c>- alert:</c> of the generated rule file with its <c>runbook_url</c> annotation (null when missing).</summary>
    private static List<(string Name, string? Runbook)> AlertRules()
    {
        var alerts = new List<(string Name, string? Runbook)>();
        foreach (var line in File.ReadLines(RulesFile))
        {
            if (AlertLine().Match(line) is { Success: true } alert)
            {
                alerts.Add((alert.Groups["name"].Value, null));
            }
            else if (RunbookLine().Match(line) is { Success: true } url && alerts.Count > 0 && alerts[^1].Runbook is null)
            {
                alerts[^1] = (alerts[^1].Name, url.Groups["url"].Value);
            }
        }

        return alerts;
    }

    [GeneratedRegex(@"^\*\*Alerts:\*\*(?<alerts>.*)$", RegexOptions.Multiline)]
    private static partial Regex AlertsLine();

    [GeneratedRegex(@"`(?<name>[A-Z][A-Za-z0-9]+)`")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"^\s*- alert: (?<name>\S+)\s*$")]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"^\s*runbook_url: ""?(?<url>[^""]+)""?\s*$")]
    private static partial Regex RunbookLine();
}
