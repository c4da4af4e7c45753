using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>Each team's webhook secret: configured, or generated once in the shared data folder (the receiver reads it there).</summary>
public sealed class TeamSecrets(IOptions<AnomaliesOptions> options, IOptions<StorageOptions> storage)
{
    private const int SecretBytes = 32;

    public byte[] For(string team) => options.Value.WebhookSecrets.TryGetValue(team, out var configured)
        ? Convert.FromBase64String(configured)
        : SharedSecretFile.LoadOrCreate(Path.Combine(storage.Value.DataDirectory, "keys"), FileName(team), SecretBytes);

    public static string FileName(string team) => $"webhook-{team}.secret";
}
