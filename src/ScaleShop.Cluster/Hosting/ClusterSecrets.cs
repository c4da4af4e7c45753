using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace ScaleShop.Cluster.Hosting;

/// <summary>
/// Keys the cluster makes once and keeps in its state folder (mode 0600): the gateway's admin key, the control
/// API's key (the CLI reads it from the same folder) and the storefront admin the controller signs in as. A
/// setting of <c>Admin__Email</c>/<c>Admin__Password</c> in <c>Cluster:StorefrontEnvironment</c> wins.
/// </summary>
public sealed class ClusterSecrets
{
    public const string ControlKeyFile = "control.key";
    private const string FileName = "secrets.json";

    public ClusterSecrets(IOptions<ClusterOptions> options, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var cluster = options.Value;
        Directory.CreateDirectory(cluster.StateDirectory);
        var path = Path.Combine(cluster.StateDirectory, FileName);
        var stored = File.Exists(path) ? JsonSerializer.Deserialize<Stored>(File.ReadAllText(path)) : null;
        stored ??= new Stored(NewKey(), NewKey(), "ops@cluster.scaleshop.test", NewKey());
        WritePrivate(path, JsonSerializer.Serialize(stored));
        WritePrivate(Path.Combine(cluster.StateDirectory, ControlKeyFile), stored.ControlKey);
        GatewayAdminKey = stored.GatewayAdminKey;
        ControlKey = stored.ControlKey;
        var storefront = ClusterOptions.StorefrontSettings(configuration);
        AdminEmail = storefront.GetValueOrDefault("Admin__Email") ?? stored.AdminEmail;
        AdminPassword = storefront.GetValueOrDefault("Admin__Password") ?? stored.AdminPassword;
    }

    public string GatewayAdminKey { get; }

    public string ControlKey { get; }

    public string AdminEmail { get; }

    public string AdminPassword { get; }

    private static string NewKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    /// <summary>
    /// Owner-only from its creation, and whole or not at all (a temporary file moved into place): the CLI and the tests
    /// read the control key while the controller starts, and must never see it half written.
    /// </summary>
    private static void WritePrivate(string path, string content)
    {
        var temporary = path + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, System.Text.Encoding.UTF8, create))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record Stored(string GatewayAdminKey, string ControlKey, string AdminEmail, string AdminPassword);
}
