using System.Diagnostics;
using System.Text.RegularExpressions;
using ScaleShop.Cluster.Migrations;

namespace ScaleShop.Cluster.Versions;

/// <summary>
/// Published versions: <c>&lt;state&gt;/versions/&lt;version&gt;/</c> holds <c>app/</c> (the storefront's build
/// output, run as is), <c>release.json</c> and <c>migrations/</c> (the schema scripts that build carries, taken
/// out of its ScaleShop.Data.dll at publish time, so the expand/contract check reads plain files). A version is
/// never changed once published: a different build is a different version.
/// </summary>
public sealed partial class VersionStore(string versionsDirectory)
{
    public const string AppFolder = "app";
    public const string StorefrontAssembly = "ScaleShop.Storefront.dll";
    public const string DataAssembly = "ScaleShop.Data.dll";

    public string Directory { get; } = versionsDirectory;

    public static bool IsValidName(string version) => VersionName().IsMatch(version);

    public string PathOf(string version) => Path.Combine(Directory, version);

    public string AssemblyOf(string version) => Path.Combine(PathOf(version), AppFolder, StorefrontAssembly);

    public string MigrationsOf(string version) => Path.Combine(PathOf(version), MigrationScripts.FolderName);

    public bool Exists(string version) => IsValidName(version) && File.Exists(Path.Combine(PathOf(version), ReleaseManifest.FileName));

    public ReleaseManifest Manifest(string version) => Exists(version)
        ? ReleaseManifest.Read(PathOf(version))
        : throw new VersionNotFoundException(version);

    public IReadOnlyList<ReleaseManifest> List() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateDirectories(Directory).Select(Path.GetFileName).OfType<string>().Where(Exists)
                .Select(Manifest).OrderBy(m => m.PublishedAt).ToList()
            : [];

    /// <summary>
    /// Makes a version from a build output folder (a copy: the build may change afterwards, the version may not).
    /// </summary>
    public ReleaseManifest PublishFrom(string version, string buildOutput, IReadOnlyDictionary<string, string> environment)
    {
        if (!File.Exists(Path.Combine(buildOutput, StorefrontAssembly)))
        {
            throw new ArgumentException($"{buildOutput} holds no {StorefrontAssembly}: not a storefront build output.", nameof(buildOutput));
        }

        var target = Prepare(version);
        CopyDirectory(buildOutput, Path.Combine(target, AppFolder));
        return Complete(version, target, Path.GetFullPath(buildOutput), environment);
    }

    /// <summary>Makes a version by <c>dotnet publish</c> of the storefront project.</summary>
    public async Task<ReleaseManifest> PublishProjectAsync(
        string version, string project, string configuration, IReadOnlyDictionary<string, string> environment, Action<string> progress, CancellationToken cancellationToken)
    {
        var target = Prepare(version);
        var publish = new ProcessStartInfo("dotnet", ["publish", project, "-c", configuration, "-o", Path.Combine(target, AppFolder), "--nologo", "-v", "q"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(publish) ?? throw new InvalidOperationException("dotnet publish did not start.");
        process.OutputDataReceived += (_, line) => { if (line.Data is { Length: > 0 } text) { progress(text); } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { Length: > 0 } text) { progress(text); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            System.IO.Directory.Delete(target, recursive: true);
            throw new InvalidOperationException($"dotnet publish of {project} failed with exit code {process.ExitCode}.");
        }

        return Complete(version, target, Path.GetFullPath(project), environment);
    }

    private string Prepare(string version)
    {
        if (!IsValidName(version))
        {
            throw new ArgumentException($"'{version}' is not a version name: letters, digits, '.', '-' and '_', starting with a letter or digit, at most 64.", nameof(version));
        }

        var target = PathOf(version);
        if (System.IO.Directory.Exists(target))
        {
            throw new InvalidOperationException($"Version {version} is already published ({target}); versions are immutable, publish another name.");
        }

        System.IO.Directory.CreateDirectory(target);
        return target;
    }

    private ReleaseManifest Complete(string version, string target, string source, IReadOnlyDictionary<string, string> environment)
    {
        MigrationScripts.Extract(Path.Combine(target, AppFolder, DataAssembly), MigrationsOf(version));
        var manifest = new ReleaseManifest(version, DateTimeOffset.UtcNow, source, new Dictionary<string, string>(environment, StringComparer.Ordinal));
        // Written last: a version without its manifest is not published (a crash mid-copy leaves no half version).
        manifest.Write(target);
        return manifest;
    }

    private static readonly string LocalData = "data" + Path.DirectorySeparatorChar;

    private static void CopyDirectory(string source, string target)
    {
        System.IO.Directory.CreateDirectory(target);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            // A storefront run from its build folder keeps its databases in data/ there: not part of a build.
            if (relative.StartsWith(LocalData, StringComparison.Ordinal))
            {
                continue;
            }

            var destination = Path.Combine(target, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VersionName();
}

public sealed class VersionNotFoundException(string version) : Exception($"Version {version} is not published (scaleshop cluster publish {version}).")
{
    public string Version { get; } = version;
}
