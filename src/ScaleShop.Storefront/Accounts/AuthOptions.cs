using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Accounts;

/// <summary>Access tokens and password hashing (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    [Required]
    public string Issuer { get; set; } = "scaleshop";

    [Required]
    public string Audience { get; set; } = "scaleshop-api";

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Base64 HMAC-SHA256 key of at least 32 bytes, shared by every instance. When absent (embedded
    /// defaults) a key is generated once and kept in the data folder, so tokens survive restarts.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>PBKDF2 iterations for newly hashed passwords (Identity's default is 100,000).</summary>
    [Range(10_000, 10_000_000)]
    public int PasswordHashIterations { get; set; } = 100_000;
}

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;

/// <summary>The one way to become admin: an account named here at start-up (section <c>Admin</c>).</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    [EmailAddress]
    public string? Email { get; set; }

    [StringLength(128, MinimumLength = 8)]
    public string? Password { get; set; }
}

[OptionsValidator]
public sealed partial class AdminOptionsValidator : IValidateOptions<AdminOptions>;
