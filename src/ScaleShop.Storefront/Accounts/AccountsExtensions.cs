using ScaleShop.Data;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ScaleShop.Storefront.Accounts;

public static class AccountsExtensions
{
    public const string UserPolicy = "user";
    public const string AdminPolicy = "admin";

    /// <summary>Accounts, password hashing, and JWT bearer authentication with user and admin policies.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(builder.Configuration, AuthOptions.SectionName);
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>(builder.Configuration, AdminOptions.SectionName);
        services.AddOptions<PasswordHasherOptions>().Configure<IOptions<AuthOptions>>((hasher, auth) => hasher.IterationCount = auth.Value.PasswordHashIterations);

        services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.AddSingleton<SigningKeyProvider>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<AccountService>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyProvider, IOptions<AuthOptions>>((jwt, keys, auth) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    IssuerSigningKey = keys.Key,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    NameClaimType = JwtRegisteredClaimNames.Sub,
                    RoleClaimType = TokenService.RoleClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(UserPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(JwtRegisteredClaimNames.Sub))
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(TokenService.AdminRole));
        return builder;
    }
}
