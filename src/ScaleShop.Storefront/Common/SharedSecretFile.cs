using System.Security.Cryptography;

namespace ScaleShop.Storefront.Common;

/// <summary>
/// A random secret kept in the shared data folder, created by whichever instance needs it first: what every
/// instance must agree on when configuration does not provide it (embedded defaults, tests). Production
/// configures its secrets instead.
/// </summary>
public static class SharedSecretFile
{
    public static byte[] LoadOrCreate(string dataDirectory, string fileName, int bytes)
    {
        var directory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance created it first; use theirs.
                File.Delete(temporary);
            }
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}
