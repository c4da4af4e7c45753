namespace ScaleShop.Anomalies.Tests;

/// <summary>The shared NAB subset sits beside the repository (../shared/nab from its root), locally and in CI.</summary>
internal static class NabFolder
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ScaleShop.slnx")))
            {
                var nab = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory.FullName, "..", "shared", "nab"));
                return Directory.Exists(nab) ? nab : throw new DirectoryNotFoundException($"The NAB data is expected at {nab}.");
            }
        }

        throw new DirectoryNotFoundException("No ScaleShop.slnx above " + AppContext.BaseDirectory);
    }
}
