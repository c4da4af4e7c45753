using Microsoft.Extensions.Options;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Seeding;
using ScaleShop.ServiceDefaults.Health;
using ScaleShop.Storefront.Accounts;

namespace ScaleShop.Storefront.Hosting;

/// <summary>
/// Runs before the server accepts requests (hosted services start before Kestrel): bring every database to
/// the current schema, seed a demo data set into an empty catalog, and make sure the configured admin exists.
/// <c>/health/startup</c> answers 503 until this is done.
/// </summary>
public sealed class StartupInitializer(
    DatabaseMigrator migrator, Seeder seeder, AccountService accounts, StartupWork startup,
    IOptions<SeedOptions> seed, IOptions<AdminOptions> admin, ILogger<StartupInitializer> logger) : IHostedService
{
    public const string WorkName = "migrations and seeding";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var running = startup.Begin(WorkName);
        await migrator.MigrateAllAsync(cancellationToken);

        var seeding = seed.Value;
        if (seeding.OnFirstStart && await seeder.CountProductsAsync(cancellationToken) == 0)
        {
            logger.LogInformation("Empty catalog: seeding {Products} products in {Categories} categories and {Users} users",
                seeding.Products, seeding.Categories, seeding.Users);
            await seeder.SeedCatalogAsync(seeding.Products, seeding.Categories, progress: null, cancellationToken);
            await seeder.SeedUsersAsync(seeding.Users, SeedAccounts.PasswordHash, progress: null, cancellationToken);
        }

        if (admin.Value is { Email: { Length: > 0 } email, Password: { Length: > 0 } password })
        {
            await accounts.EnsureAdminAsync(email, password, cancellationToken);
            logger.LogInformation("Admin account {Email} is in place", email);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
