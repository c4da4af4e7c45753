using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;

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

        return SharedSecretFile.LoadOrCreate(storage.DataDirectory, FileName, KeyBytes);
    }
}
