using System.Data.Common;
using Dapper;
using ScaleShop.Data.Seeding;

namespace ScaleShop.Data.Sqlite;

/// <summary>One prepared statement per table, re-bound for every row inside one transaction per batch.</summary>
public sealed class SqliteBulkLoader(IDatabaseRouter router) : IBulkLoader
{
    public async Task LoadCategoriesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        await using var connection = await router.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = router.BeginWriteTransaction(connection);
        for (var i = 0; i < names.Count; i++)
        {
            await connection.ExecuteAsync("INSERT INTO categories (id, name) VALUES (@Id, @Name) ON CONFLICT DO NOTHING", new { Id = i + 1, Name = names[i] }, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task LoadProductsAsync(IReadOnlyList<GeneratedProduct> products, long updatedAt, CancellationToken cancellationToken)
    {
        await using var connection = await router.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = router.BeginWriteTransaction(connection);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, stock, sold_count, updated_at)
            VALUES ($id, $sku, $name, $description, $price, 'USD', $category, $stock, $sold, $now)
            ON CONFLICT DO NOTHING
            """;
        var p = AddParameters(insert, "$id", "$sku", "$name", "$description", "$price", "$category", "$stock", "$sold", "$now");
        p[8].Value = updatedAt;
        insert.Prepare();
        foreach (var product in products)
        {
            p[0].Value = product.Id;
            p[1].Value = product.Sku;
            p[2].Value = product.Name;
            p[3].Value = product.Description;
            p[4].Value = product.PriceCents;
            p[5].Value = product.CategoryId;
            p[6].Value = product.Stock;
            p[7].Value = product.SoldCount;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // The search read model's first documents; later changes reach it as product.changed events.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO search_documents (rowid, name, description, version)
            SELECT id, name, description, version FROM products p
            WHERE p.id BETWEEN @first AND @last AND NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.rowid = p.id)
            """, new { first = products.Min(x => x.Id), last = products.Max(x => x.Id) }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task LoadUsersAsync(string physicalDatabase, IReadOnlyList<SeedUser> users, string passwordHash, long createdAt, CancellationToken cancellationToken)
    {
        await using var connection = await router.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        await using var transaction = router.BeginWriteTransaction(connection);
        await using var account = connection.CreateCommand();
        account.Transaction = transaction;
        account.CommandText = """
            INSERT INTO accounts (id, email, display_name, password_hash, is_admin, created_at)
            VALUES ($id, $email, $name, $hash, 0, $created) ON CONFLICT DO NOTHING
            """;
        var a = AddParameters(account, "$id", "$email", "$name", "$hash", "$created");
        a[3].Value = passwordHash;
        a[4].Value = createdAt;
        account.Prepare();

        await using var index = connection.CreateCommand();
        index.Transaction = transaction;
        index.CommandText = "INSERT INTO email_index (normalized_email, user_id) VALUES ($email, $id) ON CONFLICT DO NOTHING";
        var e = AddParameters(index, "$email", "$id");
        index.Prepare();

        foreach (var user in users)
        {
            a[0].Value = user.Id;
            a[1].Value = user.Email;
            a[2].Value = user.DisplayName;
            await account.ExecuteNonQueryAsync(cancellationToken);
            e[0].Value = user.NormalizedEmail;
            e[1].Value = user.Id;
            await index.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
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
