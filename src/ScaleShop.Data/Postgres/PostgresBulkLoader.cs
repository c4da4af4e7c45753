using Dapper;
using Npgsql;
using NpgsqlTypes;
using ScaleShop.Data.Seeding;

namespace ScaleShop.Data.Postgres;

/// <summary>
/// Binary COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING into the real one: COPY's
/// speed with the idempotence COPY alone lacks.
/// </summary>
public sealed class PostgresBulkLoader(IDatabaseRouter router) : IBulkLoader
{
    public async Task LoadCategoriesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        await using var connection = await router.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO categories (id, name) SELECT ordinality, name FROM unnest(@names) WITH ORDINALITY AS n(name, ordinality) ON CONFLICT DO NOTHING",
            new { names = names.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task LoadProductsAsync(IReadOnlyList<GeneratedProduct> products, long updatedAt, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)Resilience.GuardedConnection.Unwrap(await router.OpenCatalogAsync(DataIntent.Write, cancellationToken));
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("CREATE TEMP TABLE seed_products (LIKE products INCLUDING DEFAULTS) ON COMMIT DROP", transaction: transaction);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY seed_products (id, sku, name, description, price_cents, currency, category_id, stock, sold_count, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var p in products)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(p.Id, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(p.Sku, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(p.Name, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(p.Description, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(p.PriceCents, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync("USD", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(p.CategoryId, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync((long)p.Stock, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(p.SoldCount, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(updatedAt, NpgsqlDbType.Bigint, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, stock, sold_count, updated_at)
            SELECT id, sku, name, description, price_cents, currency, category_id, stock, sold_count, updated_at FROM seed_products
            ON CONFLICT DO NOTHING
            """, transaction: transaction, commandTimeout: 600);
        // The search read model's first documents; later changes reach it as product.changed events.
        await connection.ExecuteAsync(
            """
            INSERT INTO search_documents (product_id, version, name, description)
            SELECT p.id, p.version, p.name, p.description FROM seed_products s JOIN products p ON p.id = s.id
            ON CONFLICT (product_id) DO NOTHING
            """, transaction: transaction, commandTimeout: 600);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task LoadUsersAsync(string physicalDatabase, IReadOnlyList<SeedUser> users, string passwordHash, long createdAt, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)Resilience.GuardedConnection.Unwrap(await router.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken));
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("CREATE TEMP TABLE seed_users (id bigint, email text, normalized_email text, display_name text) ON COMMIT DROP", transaction: transaction);
        await using (var copy = await connection.BeginBinaryImportAsync("COPY seed_users (id, email, normalized_email, display_name) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var user in users)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(user.Id, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(user.Email, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(user.NormalizedEmail, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(user.DisplayName, NpgsqlDbType.Text, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO accounts (id, email, display_name, password_hash, is_admin, created_at)
            SELECT id, email, display_name, @passwordHash, 0, @createdAt FROM seed_users ON CONFLICT DO NOTHING;
            INSERT INTO email_index (normalized_email, user_id)
            SELECT normalized_email, id FROM seed_users ON CONFLICT DO NOTHING;
            """, new { passwordHash, createdAt }, transaction, commandTimeout: 600);
        await transaction.CommitAsync(cancellationToken);
    }
}
