using Dapper;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;

namespace ScaleShop.Storefront.Accounts;

public sealed record Account(ShardedId Id, string Email, string DisplayName, string PasswordHash, bool IsAdmin);

/// <summary>
/// Accounts live on their user's shard. The email index lives on the shard the email hashes to, which is
/// also the shard a new account is placed on, so registering is one local transaction and the unique key
/// on the index is what makes an email registrable once (case-insensitively: it holds the normalised form).
/// </summary>
public sealed class AccountStore(IDatabaseRouter databases, ShardedIdGenerator ids, TimeProvider time)
{
    private const int MaxIdCollisionRetries = 3;

    public int LogicalShardForEmail(string email) =>
        ShardKeys.LogicalShardForEmail(ShardKeys.NormalizeEmail(email), databases.ShardMap.LogicalShardCount);

    /// <summary>Creates the account; null when the email is already registered.</summary>
    public async Task<Account?> CreateAsync(string email, string displayName, string passwordHash, bool isAdmin, CancellationToken cancellationToken)
    {
        var normalized = ShardKeys.NormalizeEmail(email);
        var shard = ShardKeys.LogicalShardForEmail(normalized, databases.ShardMap.LogicalShardCount);
        return await databases.WriteToShardAsync(shard, async (connection, cancellationToken) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var account = new Account(ids.Next(shard), email.Trim(), displayName, passwordHash, isAdmin);
                await using var transaction = databases.BeginWriteTransaction(connection);
                try
                {
                    var indexed = await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO email_index (normalized_email, user_id) VALUES (@normalized, @id) ON CONFLICT DO NOTHING",
                        new { normalized, id = account.Id.Value }, transaction, cancellationToken: cancellationToken));
                    if (indexed == 0)
                    {
                        await transaction.RollbackAsync(cancellationToken);
                        return null;
                    }

                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO accounts (id, email, display_name, password_hash, is_admin, created_at)
                        VALUES (@id, @email, @displayName, @passwordHash, @isAdmin, @createdAt)
                        """,
                        new { id = account.Id.Value, email = account.Email, displayName, passwordHash, isAdmin = isAdmin ? 1L : 0L, createdAt = time.GetUtcNow().ToUnixTimeMilliseconds() },
                        transaction, cancellationToken: cancellationToken));
                    await transaction.CommitAsync(cancellationToken);
                    return account;
                }
                catch (Exception exception) when (databases.Dialect.IsUniqueViolation(exception) && attempt < MaxIdCollisionRetries)
                {
                    // Another instance issued the same id in the same millisecond: take a new one.
                    await transaction.RollbackAsync(cancellationToken);
                }
            }
        }, cancellationToken);
    }

    public async Task<Account?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var normalized = ShardKeys.NormalizeEmail(email);
        var shard = ShardKeys.LogicalShardForEmail(normalized, databases.ShardMap.LogicalShardCount);
        await using var connection = await databases.OpenShardAsync(shard, DataIntent.ReadYourWrites, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            """
            SELECT a.id AS Id, a.email AS Email, a.display_name AS DisplayName, a.password_hash AS PasswordHash, a.is_admin AS IsAdmin
            FROM email_index e JOIN accounts a ON a.id = e.user_id
            WHERE e.normalized_email = @normalized
            """, new { normalized }, cancellationToken: cancellationToken));
        return row?.ToAccount();
    }

    public async Task UpdateCredentialsAsync(ShardedId id, string passwordHash, bool isAdmin, CancellationToken cancellationToken)
    {
        await databases.WriteToShardAsync(id.LogicalShard, (connection, cancellationToken) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET password_hash = @passwordHash, is_admin = @isAdmin WHERE id = @id",
            new { id = id.Value, passwordHash, isAdmin = isAdmin ? 1L : 0L }, cancellationToken: cancellationToken)), cancellationToken);
    }

    private sealed record AccountRow(long Id, string Email, string DisplayName, string PasswordHash, long IsAdmin)
    {
        public Account ToAccount() => new(new ShardedId(Id), Email, DisplayName, PasswordHash, IsAdmin != 0);
    }
}
