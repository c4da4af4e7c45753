using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaleShop.Cli.Hosting;
using ScaleShop.Data;
using ScaleShop.Data.Migrations;
using ScaleShop.Data.Seeding;
using Spectre.Console;

namespace ScaleShop.Cli.Seeding;

/// <summary>
/// <c>scaleshop seed --products 200000 --users 1000000</c>: bulk-loads straight into the databases the
/// storefront uses (same configuration keys: <c>Storage__DataDirectory</c> or <c>--data-dir</c>), with a
/// live progress display. Safe to re-run: existing rows are kept.
/// </summary>
public static class SeedCommand
{
    public static Command Create()
    {
        var products = new Option<long>("--products") { Description = "Products in the catalog (existing ones are kept).", DefaultValueFactory = _ => 10_000 };
        var categories = new Option<int>("--categories") { Description = $"Categories (1 to {CatalogGenerator.MaxCategories}).", DefaultValueFactory = _ => 50 };
        var users = new Option<long>("--users") { Description = "Seeded users user0..userN-1@seed.scaleshop.test, password '" + SeedAccounts.Password + "'.", DefaultValueFactory = _ => 1_000 };
        var dataDirectory = DataServices.DataDirectoryOption();

        var command = new Command("seed", "Generate a realistic catalog and user population across every shard.") { products, categories, users, dataDirectory };
        products.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--products must be at least 1.");
            }
        });
        categories.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 50)
            {
                result.AddError($"--categories must be between 1 and {CatalogGenerator.MaxCategories}.");
            }
        });
        users.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 0)
            {
                result.AddError("--users must not be negative.");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(products), parse.GetValue(categories), parse.GetValue(users), parse.GetValue(dataDirectory), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(long products, int categories, long users, string? dataDirectory, CancellationToken cancellationToken)
    {
        await using var services = DataServices.Build(dataDirectory);

        var router = services.GetRequiredService<IDatabaseRouter>();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAllAsync(cancellationToken);
        var seeder = services.GetRequiredService<Seeder>();
        AnsiConsole.MarkupLine($"Seeding [bold]{products:N0}[/] products in {categories} categories and [bold]{users:N0}[/] users over " +
            $"{router.ShardMap.LogicalShardCount} logical shards on {router.ShardMap.PhysicalDatabases.Count} physical databases.");

        var catalogTime = TimeSpan.Zero;
        var usersTime = TimeSpan.Zero;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var catalogTask = context.AddTask("products", maxValue: products);
                var usersTask = context.AddTask("users", maxValue: Math.Max(1, users));
                var clock = Stopwatch.StartNew();
                await seeder.SeedCatalogAsync(products, categories, new Progress<SeedProgress>(p => catalogTask.Value = p.Done), cancellationToken);
                catalogTask.Value = products;
                catalogTime = clock.Elapsed;

                clock.Restart();
                await seeder.SeedUsersAsync(users, SeedAccounts.PasswordHash, new Progress<SeedProgress>(p => usersTask.Value = p.Done), cancellationToken);
                usersTask.Value = Math.Max(1, users);
                usersTime = clock.Elapsed;
            });

        AnsiConsole.MarkupLine($"Products: {products:N0} in {catalogTime.TotalSeconds:F1} s ({products / Math.Max(catalogTime.TotalSeconds, 0.001):N0}/s)");
        AnsiConsole.MarkupLine($"Users:    {users:N0} in {usersTime.TotalSeconds:F1} s ({users / Math.Max(usersTime.TotalSeconds, 0.001):N0}/s)");
        return 0;
    }
}
