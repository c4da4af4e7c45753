using System.Security.Cryptography;
using System.Text;

namespace ScaleShop.Anomalies;

/// <summary>
/// The signature a receiver checks before trusting a notification: <c>sha256=</c> and the hex HMAC-SHA256 of the
/// exact body bytes with the team's secret (the scheme GitHub's webhooks use, so receivers know it). Shared by the
/// storefront that signs and the CLI receiver that checks.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-ScaleShop-Signature";
    public const string DeliveryHeader = "X-ScaleShop-Delivery";
    public const string EventHeader = "X-ScaleShop-Event";
    private const string Prefix = "sha256=";

    public static string Sign(ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret) => Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    /// <summary>Constant-time comparison, so a forger learns nothing from how long a refusal took.</summary>
    public static bool IsValid(ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(body, secret)), Encoding.ASCII.GetBytes(signature));
}
