namespace ScaleShop.Chaos.Tests;

internal static class RepositoryRoot
{
    /// <summary>The folder holding ScaleShop.slnx, found upwards from the test's build output.</summary>
    public static string Path { get; } = Find();

    public static string ExperimentsFolder => System.IO.Path.Combine(Path, "chaos", "experiments");

    public static IEnumerable<string> ExperimentFiles => Directory.EnumerateFiles(ExperimentsFolder, "*.json").Order(StringComparer.Ordinal);

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
