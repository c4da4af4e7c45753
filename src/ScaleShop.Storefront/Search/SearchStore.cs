using System.Data.Common;
using Dapper;
using ScaleShop.Data;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Messaging;

namespace ScaleShop.Storefront.Search;

public sealed record SearchHit(ProductSummary Product, double Rank);

/// <summary>
/// Full-text search over product names and descriptions, best matches first, keyset-paginated on
/// (rank, id) so that deep pages cost what the first page costs. Lower rank is better on both providers.
/// <paramref name="terms"/> are plain words (letters and digits only); the last one matches as a prefix.
/// </summary>
public interface ISearchStore
{
    Task<IReadOnlyList<SearchHit>> SearchAsync(IReadOnlyList<string> terms, (double Rank, long Id)? after, int take, CancellationToken cancellationToken);

    /// <summary>
    /// Writes products' new text into the search read model, in the caller's catalog transaction; a change older
    /// than the document's version (a late redelivery) is skipped. Returns how many documents changed.
    /// </summary>
    Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<ProductChanged> changes, CancellationToken cancellationToken);
}

/// <summary>SQLite FTS5 with bm25, the name weighted ten times the description.</summary>
public sealed class SqliteSearchStore(IDatabaseRouter databases) : ISearchStore
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(IReadOnlyList<string> terms, (double Rank, long Id)? after, int take, CancellationToken cancellationToken)
    {
        // Every word quoted: no FTS5 operator or syntax error can come from user input.
        var match = string.Join(' ', terms.Select(t => $"\"{t}\"")) + "*";
        var sql = $"""
            SELECT {CatalogStore.SummaryColumns}, s.rank AS Rank
            FROM search_documents s JOIN products p ON p.id = s.rowid
            WHERE search_documents MATCH @match
            {(after is null ? "" : "AND (s.rank > @afterRank OR (s.rank = @afterRank AND p.id > @afterId))")}
            ORDER BY s.rank, p.id
            LIMIT @take
            """;
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SearchRow>(new CommandDefinition(sql,
            new { match, afterRank = after?.Rank, afterId = after?.Id, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }

    public async Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<ProductChanged> changes, CancellationToken cancellationToken)
    {
        // FTS5 tables have no upsert: compare versions, then replace the row.
        var applied = 0;
        foreach (var change in changes)
        {
            var current = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT version FROM search_documents WHERE rowid = @ProductId", change, transaction, cancellationToken: cancellationToken));
            if (current >= change.Version)
            {
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM search_documents WHERE rowid = @ProductId", change, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO search_documents (rowid, name, description, version) VALUES (@ProductId, @Name, @Description, @Version)",
                change, transaction, cancellationToken: cancellationToken));
            applied++;
        }

        return applied;
    }
}

/// <summary>PostgreSQL: a weighted tsvector (name A, description B) with a GIN index, ranked by ts_rank.</summary>
public sealed class PostgresSearchStore(IDatabaseRouter databases) : ISearchStore
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(IReadOnlyList<string> terms, (double Rank, long Id)? after, int take, CancellationToken cancellationToken)
    {
        // Words are letters and digits only, so they are safe operands; the last is a prefix match.
        var tsquery = string.Join(" & ", terms.Select((t, i) => i == terms.Count - 1 ? t + ":*" : t));
        const string rank = "(-ts_rank(s.search_vector, q))::float8";
        var sql = $"""
            SELECT {CatalogStore.SummaryColumns}, {rank} AS Rank
            FROM search_documents s JOIN products p ON p.id = s.product_id, to_tsquery('english', @tsquery) q
            WHERE s.search_vector @@ q
            {(after is null ? "" : $"AND ({rank} > @afterRank OR ({rank} = @afterRank AND p.id > @afterId))")}
            ORDER BY Rank, p.id
            LIMIT @take
            """;
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SearchRow>(new CommandDefinition(sql,
            new { tsquery, afterRank = after?.Rank, afterId = after?.Id, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }

    public Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<ProductChanged> changes, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO search_documents (product_id, version, name, description) VALUES (@ProductId, @Version, @Name, @Description)
            ON CONFLICT (product_id) DO UPDATE SET version = excluded.version, name = excluded.name, description = excluded.description
            WHERE search_documents.version < excluded.version
            """, changes, transaction, cancellationToken: cancellationToken));
}

// Settable properties rather than a constructor: a computed rank has no declared column type, and a
// positional record would make Dapper insist on the type a provider reports for an empty result.
internal sealed class SearchRow : CatalogStore.SummaryRow
{
    public double Rank { get; init; }

    public SearchHit ToHit() => new(ToSummary(), Rank);
}
