using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ScaleShop.Storefront.Anomalies;

public sealed record Team(string Id, string Name, IReadOnlyList<Uri> Webhooks);

public sealed record ComponentOwner(string Match, Team Team, string Runbook);

/// <summary>
/// Component → team → notification endpoints, and the runbook of each component (<c>ops/ownership.json</c>).
/// Components are matched in order, the first match wins, so the file reads from the specific to the general.
/// </summary>
public sealed class Ownership
{
    private readonly IReadOnlyList<(Regex Pattern, ComponentOwner Owner)> _components;

    private Ownership(IReadOnlyDictionary<string, Team> teams, IReadOnlyList<(Regex, ComponentOwner)> components)
    {
        Teams = teams;
        _components = components;
    }

    public IReadOnlyDictionary<string, Team> Teams { get; }

    public IEnumerable<ComponentOwner> Components => _components.Select(c => c.Owner);

    /// <summary>The owner of a component; every component has one, as the file must end with a catch-all.</summary>
    public ComponentOwner OwnerOf(string component) => _components.First(c => c.Pattern.IsMatch(component)).Owner;

    public static Ownership Load(string path)
    {
        OwnershipFile file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(path), OwnershipJsonContext.Default.OwnershipFile) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Path}: {e.Message}", e);
        }

        var teams = new Dictionary<string, Team>(StringComparer.Ordinal);
        foreach (var (id, team) in file.Teams ?? [])
        {
            var webhooks = new List<Uri>();
            foreach (var url in team.Webhooks ?? [])
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new InvalidDataException($"{path}: teams.{id}.webhooks: '{url}' is not an http(s) URL.");
                }

                webhooks.Add(uri);
            }

            teams[id] = new Team(id, string.IsNullOrWhiteSpace(team.Name) ? id : team.Name, webhooks);
        }

        var components = new List<(Regex, ComponentOwner)>();
        for (var i = 0; i < (file.Components?.Count ?? 0); i++)
        {
            var component = file.Components![i];
            var field = $"{path}: components[{i}]";
            if (string.IsNullOrWhiteSpace(component.Match))
            {
                throw new InvalidDataException($"{field}.match is required.");
            }

            if (component.Team is null || !teams.TryGetValue(component.Team, out var team))
            {
                throw new InvalidDataException($"{field}.team: '{component.Team}' is not one of the teams ({string.Join(", ", teams.Keys)}).");
            }

            if (string.IsNullOrWhiteSpace(component.Runbook))
            {
                throw new InvalidDataException($"{field}.runbook is required: an incident must say where to start.");
            }

            var pattern = new Regex("^" + Regex.Escape(component.Match).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
            components.Add((pattern, new ComponentOwner(component.Match, team, component.Runbook)));
        }

        if (components.Count == 0 || components[^1].Item2.Match != "*")
        {
            throw new InvalidDataException($"{path}: components must end with a catch-all {{ \"match\": \"*\" }}, so every incident has an owner.");
        }

        return new Ownership(teams, components);
    }
}

internal sealed record OwnershipFile(Dictionary<string, TeamFile>? Teams, List<ComponentFile>? Components);

internal sealed record TeamFile(string? Name, List<string>? Webhooks);

internal sealed record ComponentFile(string? Match, string? Team, string? Runbook);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(OwnershipFile))]
internal sealed partial class OwnershipJsonContext : JsonSerializerContext;
