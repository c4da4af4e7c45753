namespace ScaleShop.Cluster.Tests;

/// <summary>Whether processes a cluster started are still around.</summary>
public static class ProcessLeaks
{
    /// <summary>
    /// Every process whose command line or environment names <paramref name="state"/> (Linux: /proc): the cluster's
    /// controller (Cluster__StateDirectory), its storefront instances (their assembly is under the state folder), the
    /// services (their data directories are there). Catches a child that no status listed. Empty where /proc is not.
    /// </summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> Mentioning(string state)
    {
        if (!Directory.Exists("/proc"))
        {
            return [];
        }

        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                var environment = File.ReadAllText(Path.Combine(directory, "environ"));
                if (commandLine.Contains(state, StringComparison.Ordinal) || environment.Contains(state, StringComparison.Ordinal))
                {
                    found.Add((pid, commandLine));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or another user's
            }
        }

        return found;
    }
}
