using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Accounts;

/// <summary>
/// The key that signs and checks access tokens. Every instance must hold the same key, or a token issued by
/// one would be refused by the next: configured in production, kept in the shared data folder otherwise.
/// </summary>
public sealed class SigningKeyProvider(IOptions<AuthOptions> auth, IOptions<StorageOptions> storage)
{
    private const string FileName = "signing-key";
    private const int KeyBytes = 64;
    private const int MinimumKeyBytes = 32;

    private readonly Lazy<SymmetricSecurityKey> _key = new(() => new SymmetricSecurityKey(Load(auth.Value, storage.Value)));

    public SymmetricSecurityKey Key => _key.Value;

    private static byte[] Load(AuthOptions auth, StorageOptions storage)
    {
        if (!string.IsNullOrWhiteSpace(auth.SigningKey))
        {
            var configured = Convert.FromBase64String(auth.SigningKey);
            return configured.Length >= MinimumKeyBytes
                ? configured
                : throw new OptionsValidationException(nameof(AuthOptions.SigningKey), typeof(AuthOptions), [$"Auth:SigningKey must be at least {MinimumKeyBytes} bytes."]);
        }

        var directory = Path.GetFullPath(storage.DataDirectory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)));
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
