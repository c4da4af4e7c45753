namespace ScaleShop.Chaos.Tests;

internal static class RepositoryRoot
{
    /// <summary>The folder holding ScaleShop.slnx, found upwards from the test's build output.</summary>
    public static string Path { get; } = Find();

    public static string ExperimentsFolder => System.IO.Path.Combine(Path, "chaos", "experiments");

    public static IEnumerable<string> ExperimentFiles => Directory.EnumerateFiles(ExperimentsFolder, "*.json").Order(StringComparer.Ordinal);

    public static string RunbooksFolder => System.IO.Path.Combine(Path, "docs", "runbooks");

    /// <summary>The runbooks' file names (<c>cache-down.md</c>), the index (README.md) left out.</summary>
    public static IEnumerable<string> RunbookFiles =>
        Directory.EnumerateFiles(RunbooksFolder, "*.md").Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(f => f != "README.md").Order(StringComparer.Ordinal);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ScaleShop.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ScaleShop.slnx above {AppContext.BaseDirectory}.");
    }
}
