using System.Globalization;
using Dapper;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Data.Seeding;

public sealed record SeedProgress(string Stage, long Done, long Total);

/// <summary>
/// Bulk-loads a catalog and a population of users straight into the databases (not through the API):
/// prepared statements reused inside large transactions, one writer per physical database in parallel.
/// Re-running with the same or larger numbers is safe: ids are derived from the row's ordinal, and every
/// insert skips rows that already exist.
/// </summary>
public sealed class Seeder(IDatabaseRouter router, TimeProvider timeProvider)
{
    private const int RowsPerTransaction = 50_000;

    private readonly IBulkLoader _loader = router.Provider == StorageOptions.PostgresProvider
        ? new Postgres.PostgresBulkLoader(router)
        : new Sqlite.SqliteBulkLoader(router);

    public static string SeedEmail(long ordinal) => $"user{ordinal.ToString(CultureInfo.InvariantCulture)}@seed.scaleshop.test";

    public async Task<long> CountProductsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await router.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM products", cancellationToken: cancellationToken));
    }

    public async Task SeedCatalogAsync(long products, int categories, IProgress<SeedProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(products, 1);
        var names = CatalogGenerator.CategoryNames(categories);
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await _loader.LoadCategoriesAsync(names, cancellationToken);
        for (long done = 0; done < products;)
        {
            var batchEnd = Math.Min(products, done + RowsPerTransaction);
            var batch = new List<GeneratedProduct>((int)(batchEnd - done));
            for (var id = done + 1; id <= batchEnd; id++)
            {
                batch.Add(CatalogGenerator.Product(id, names.Count, products));
            }

            await _loader.LoadProductsAsync(batch, now, cancellationToken);
            done = batchEnd;
            progress?.Report(new SeedProgress("products", done, products));
        }
    }

    /// <summary>Seeds users 0..<paramref name="users"/>-1, all sharing one precomputed password hash.</summary>
    public async Task SeedUsersAsync(long users, string sharedPasswordHash, IProgress<SeedProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        var map = router.ShardMap;

        // Place every user first (hashing is the CPU-heavy part), then write each physical database in parallel.
        var byPhysical = new Dictionary<string, List<SeedUser>>(StringComparer.Ordinal);
        foreach (var name in map.PhysicalDatabases)
        {
            byPhysical[name] = new List<SeedUser>((int)Math.Min(int.MaxValue, (users / map.PhysicalDatabases.Count) + 1024));
        }

        var perShardCounter = new long[map.LogicalShardCount];
        for (long ordinal = 0; ordinal < users; ordinal++)
        {
            var email = SeedEmail(ordinal);
            var normalized = ShardKeys.NormalizeEmail(email);
            var shard = ShardKeys.LogicalShardForEmail(normalized, map.LogicalShardCount);
            var counter = perShardCounter[shard]++;
            // Deterministic ids in the first moments after the epoch: far below any live id, stable on re-runs.
            var id = ShardedId.Create(1 + (counter >> ShardedId.SequenceBits), shard, (int)(counter & ShardedId.MaxSequence));
            byPhysical[map.PhysicalDatabaseOf(shard)].Add(new SeedUser(id.Value, email, normalized, "Seed User " + ordinal.ToString(CultureInfo.InvariantCulture)));
        }

        long written = 0;
        var createdAt = ShardedId.Epoch.ToUnixTimeMilliseconds();
        await Parallel.ForEachAsync(byPhysical, new ParallelOptions { CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            for (var start = 0; start < entry.Value.Count; start += RowsPerTransaction)
            {
                var batch = entry.Value.GetRange(start, Math.Min(RowsPerTransaction, entry.Value.Count - start));
                await _loader.LoadUsersAsync(entry.Key, batch, sharedPasswordHash, createdAt, ct);
                progress?.Report(new SeedProgress("users", Interlocked.Add(ref written, batch.Count), users));
            }
        });
    }
}
