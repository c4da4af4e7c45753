using System.Net;
using Microsoft.Data.Sqlite;
using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests;

/// <summary>Own instance: its catalog database is taken down, and its cache entries live one second.</summary>
public sealed class FailSafeApp : StorefrontApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Caching:ProductDuration", "00:00:01"),
        new("Caching:JitterMaxDuration", "00:00:00"),
        new("Caching:FactorySoftTimeout", "00:00:00.100"),
    ];
}

public sealed class FailSafeTests(FailSafeApp app) : IClassFixture<FailSafeApp>
{
    [Fact]
    public async Task With_the_catalog_database_down_cached_products_are_still_served_after_they_expire()
    {
        using var client = app.Anonymous();
        var productId = StorefrontApp.TakeProductId();
        var cached = await client.GetProductAsync(productId);

        await using (await CatalogDownAsync())
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken); // past the entry's lifetime

            var stale = await client.GetProductAsync(productId);
            Assert.Equal(cached, stale);

            // What was never cached cannot be served: a clear 503 problem with Retry-After, not a hang.
            var uncached = await client.GetAsync($"/api/v1/products/{StorefrontApp.TakeProductId()}", TestContext.Current.CancellationToken);
            await uncached.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(uncached.Headers.RetryAfter);
        }

        // And once the database is back, fresh reads resume: at once, or after the catalog's breaker, opened by
        // the failures of the outage (background work included), lets a probe through (break: 5 s).
        var freshId = StorefrontApp.TakeProductId();
        var fresh = await Infrastructure.Eventually.ValueAsync(() => client.GetAsync($"/api/v1/products/{freshId}", TestContext.Current.CancellationToken),
            response => response.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "fresh reads after the database is back");
        Assert.Equal(freshId, (await fresh.ReadAsync<ProductDto>()).Id);
    }

    /// <summary>Makes the catalog database refuse connections until the returned handle is disposed.</summary>
    private async Task<IAsyncDisposable> CatalogDownAsync()
    {
        if (TestStorage.IsPostgres)
        {
            var database = new Npgsql.NpgsqlConnectionStringBuilder(app.Service<Microsoft.Extensions.Configuration.IConfiguration>()["Storage:Postgres:Catalog:Primary"]).Database!;
            var terminate = $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()";
            await AdminSqlAsync("Storage:Postgres:Catalog:Primary", $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false; {terminate};");
            // The replica replays the setting within milliseconds; its open sessions end here.
            await Task.Delay(200);
            await AdminSqlAsync("Storage:Postgres:Catalog:Replicas:0", terminate);
            return new Restore(() => AdminSqlAsync("Storage:Postgres:Catalog:Primary", $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true"));
        }

        SqliteConnection.ClearAllPools();
        var file = Path.Combine(app.DataDirectory, "catalog.db");
        File.Move(file, file + ".down");
        Directory.CreateDirectory(file);
        return new Restore(() =>
        {
            Directory.Delete(file);
            File.Move(file + ".down", file);
            return Task.CompletedTask;
        });
    }

    private async Task AdminSqlAsync(string server, string sql)
    {
        var target = new Npgsql.NpgsqlConnectionStringBuilder(app.Service<Microsoft.Extensions.Configuration.IConfiguration>()[server]) { Database = "postgres", Pooling = false };
        await using var connection = new Npgsql.NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }
}
