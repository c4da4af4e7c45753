namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// Files a test leaves for people to look at (screenshots): written under the results folder test.sh uses
/// (<c>TEST_RESULTS_DIR</c>, else the repository's <c>.test-results</c>), in <c>artifacts/</c>, and attached to
/// the test's result.
/// </summary>
public static class TestArtifacts
{
    public static string Folder => Path.Combine(
        Environment.GetEnvironmentVariable("TEST_RESULTS_DIR") is { Length: > 0 } results ? results : Path.Combine(RepositoryRoot.Path, ".test-results"),
        "artifacts");

    /// <summary>Writes the file and attaches it to the running test; returns its full path.</summary>
    public static async Task<string> SaveAsync(string fileName, byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, fileName);
        await File.WriteAllBytesAsync(path, content, cancellationToken);
        TestContext.Current.AddAttachment(fileName, content, mediaType);
        TestContext.Current.TestOutputHelper?.WriteLine($"Saved {path}");
        return path;
    }
}

internal static class RepositoryRoot
{
    /// <summary>The folder holding ScaleShop.slnx, found upwards from the test's build output.</summary>
    public static string Path { get; } = Find();

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
