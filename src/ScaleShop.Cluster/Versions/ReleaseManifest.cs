using System.Text.Json;

namespace ScaleShop.Cluster.Versions;

/// <summary>
/// <c>release.json</c> of a published version: its name, when it was made, and the settings its instances get on
/// top of the cluster's (environment variables, e.g. <c>Chaos__Enabled</c>). The overrides are how a release of
/// the same code can differ in configuration, as a bad configuration push would.
/// </summary>
public sealed record ReleaseManifest(string Version, DateTimeOffset PublishedAt, string Source, IReadOnlyDictionary<string, string> Environment)
{
    public const string FileName = "release.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ReleaseManifest Read(string versionDirectory)
    {
        var path = Path.Combine(versionDirectory, FileName);
        return JsonSerializer.Deserialize<ReleaseManifest>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    public void Write(string versionDirectory) =>
        File.WriteAllText(Path.Combine(versionDirectory, FileName), JsonSerializer.Serialize(this, Json));
}

/// <summary>A published version as the control API lists it.</summary>
public sealed record PublishedVersion(string Version, DateTimeOffset PublishedAt, string Source, IReadOnlyDictionary<string, string> Environment)
{
    public static PublishedVersion Of(ReleaseManifest manifest) => new(manifest.Version, manifest.PublishedAt, manifest.Source, manifest.Environment);
}
