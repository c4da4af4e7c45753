using System.Data.Common;
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
        await using var connection = await router.OpenCatalogAsync(DataIntent.Write, cancellationToken);

        await using (var transaction = router.BeginWriteTransaction(connection))
        {
            for (var i = 0; i < names.Count; i++)
            {
                await connection.ExecuteAsync("INSERT INTO categories (id, name) VALUES (@Id, @Name) ON CONFLICT DO NOTHING",
                    new { Id = i + 1, Name = names[i] }, transaction);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        long done = 0;
        while (done < products)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var transaction = router.BeginWriteTransaction(connection);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, stock, sold_count, updated_at)
                VALUES ($id, $sku, $name, $description, $price, 'USD', $category, $stock, $sold, $now)
                ON CONFLICT DO NOTHING
                """;
            var parameters = AddParameters(insert, "$id", "$sku", "$name", "$description", "$price", "$category", "$stock", "$sold", "$now");
            parameters[8].Value = now;
            insert.Prepare();
            var batchEnd = Math.Min(products, done + RowsPerTransaction);
            for (var id = done + 1; id <= batchEnd; id++)
            {
                var product = CatalogGenerator.Product(id, names.Count, products);
                parameters[0].Value = product.Id;
                parameters[1].Value = product.Sku;
                parameters[2].Value = product.Name;
                parameters[3].Value = product.Description;
                parameters[4].Value = product.PriceCents;
                parameters[5].Value = product.CategoryId;
                parameters[6].Value = product.Stock;
                parameters[7].Value = product.SoldCount;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
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
        var byPhysical = new Dictionary<string, List<(long Ordinal, ShardedId Id)>>(StringComparer.Ordinal);
        foreach (var name in map.PhysicalDatabases)
        {
            byPhysical[name] = new List<(long, ShardedId)>((int)Math.Min(int.MaxValue, (users / map.PhysicalDatabases.Count) + 1024));
        }

        var perShardCounter = new long[map.LogicalShardCount];
        for (long ordinal = 0; ordinal < users; ordinal++)
        {
            var shard = ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(SeedEmail(ordinal)), map.LogicalShardCount);
            var counter = perShardCounter[shard]++;
            // Deterministic ids in the first moments after the epoch: far below any live id, stable on re-runs.
            var id = ShardedId.Create(1 + (counter >> ShardedId.SequenceBits), shard, (int)(counter & ShardedId.MaxSequence));
            byPhysical[map.PhysicalDatabaseOf(shard)].Add((ordinal, id));
        }

        long written = 0;
        var createdAt = ShardedId.Epoch.ToUnixTimeMilliseconds();
        await Parallel.ForEachAsync(byPhysical, new ParallelOptions { CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            await using var connection = await router.OpenPhysicalShardAsync(entry.Key, DataIntent.Write, ct);
            var rows = entry.Value;
            for (var start = 0; start < rows.Count; start += RowsPerTransaction)
            {
                await using var transaction = router.BeginWriteTransaction(connection);
                await using var account = connection.CreateCommand();
                account.Transaction = transaction;
                account.CommandText = """
                    INSERT INTO accounts (id, email, display_name, password_hash, is_admin, created_at)
                    VALUES ($id, $email, $name, $hash, 0, $created) ON CONFLICT DO NOTHING
                    """;
                var accountParameters = AddParameters(account, "$id", "$email", "$name", "$hash", "$created");
                accountParameters[3].Value = sharedPasswordHash;
                accountParameters[4].Value = createdAt;
                account.Prepare();

                await using var index = connection.CreateCommand();
                index.Transaction = transaction;
                index.CommandText = "INSERT INTO email_index (normalized_email, user_id) VALUES ($email, $id) ON CONFLICT DO NOTHING";
                var indexParameters = AddParameters(index, "$email", "$id");
                index.Prepare();

                var end = Math.Min(rows.Count, start + RowsPerTransaction);
                for (var i = start; i < end; i++)
                {
                    var (ordinal, id) = rows[i];
                    var email = SeedEmail(ordinal);
                    accountParameters[0].Value = id.Value;
                    accountParameters[1].Value = email;
                    accountParameters[2].Value = "Seed User " + ordinal.ToString(CultureInfo.InvariantCulture);
                    await account.ExecuteNonQueryAsync(ct);
                    indexParameters[0].Value = ShardKeys.NormalizeEmail(email);
                    indexParameters[1].Value = id.Value;
                    await index.ExecuteNonQueryAsync(ct);
                }

                await transaction.CommitAsync(ct);
                var total = Interlocked.Add(ref written, end - start);
                progress?.Report(new SeedProgress("users", total, users));
            }
        });
    }

    private static DbParameter[] AddParameters(DbCommand command, params string[] names)
    {
        var parameters = new DbParameter[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = names[i];
            command.Parameters.Add(parameter);
            parameters[i] = parameter;
        }

        return parameters;
    }
}
