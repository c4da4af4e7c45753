using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Accounts;

public static class CurrentUser
{
    /// <summary>The signed-in user's id (which carries their shard); null for anonymous callers or a malformed subject.</summary>
    public static ShardedId? UserId(this ClaimsPrincipal principal) =>
        ShardedId.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id) ? id : null;
}
