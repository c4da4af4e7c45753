namespace ScaleShop.Data.Seeding;

/// <summary>
/// Seeded accounts (<c>user{N}@seed.scaleshop.test</c>) all share one password, hashed once in advance with
/// ASP.NET Core Identity's PasswordHasher (v3 format: PBKDF2-HMAC-SHA512, 100,000 iterations, 16-byte
/// salt). Hashing a million passwords individually would take the seeder hours; verifying one costs the
/// same as for any account, so logins in load tests are as expensive as real ones.
/// </summary>
public static class SeedAccounts
{
    public const string Password = "scaleshop-demo";

    public const string PasswordHash = "AQAAAAIAAYagAAAAEAdxC9KTPFnjyqtSpIFvqxcuVub1iOkqppRRD4KXYwmHAcAq8B6ySQn+yVier8Xzbw==";
}
