using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ScaleShop.Storefront.Accounts;

public sealed record AccessToken(string Token, string TokenType, int ExpiresIn);

/// <summary>Issues stateless JWT access tokens: any instance can check them with the shared key, no session store.</summary>
public sealed class TokenService(SigningKeyProvider keys, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string AdminRole = "admin";
    public const string RoleClaim = "role";
    private readonly JsonWebTokenHandler _handler = new();

    public AccessToken Issue(Account account)
    {
        var auth = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = account.Id.ToString(),
            [JwtRegisteredClaimNames.Email] = account.Email,
            [JwtRegisteredClaimNames.Name] = account.DisplayName,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (account.IsAdmin)
        {
            claims[RoleClaim] = AdminRole;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + auth.AccessTokenLifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Key, SecurityAlgorithms.HmacSha256),
        });
        return new AccessToken(token, "Bearer", (int)auth.AccessTokenLifetime.TotalSeconds);
    }
}
