using Dapper;
using ScaleShop.Data;
using ScaleShop.Storefront.Catalog;

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
            FROM products_search s JOIN products p ON p.id = s.rowid
            WHERE products_search MATCH @match
            {(after is null ? "" : "AND (s.rank > @afterRank OR (s.rank = @afterRank AND p.id > @afterId))")}
            ORDER BY s.rank, p.id
            LIMIT @take
            """;
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SearchRow>(new CommandDefinition(sql,
            new { match, afterRank = after?.Rank, afterId = after?.Id, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }
}

/// <summary>PostgreSQL: a weighted tsvector (name A, description B) with a GIN index, ranked by ts_rank.</summary>
public sealed class PostgresSearchStore(IDatabaseRouter databases) : ISearchStore
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(IReadOnlyList<string> terms, (double Rank, long Id)? after, int take, CancellationToken cancellationToken)
    {
        // Words are letters and digits only, so they are safe operands; the last is a prefix match.
        var tsquery = string.Join(" & ", terms.Select((t, i) => i == terms.Count - 1 ? t + ":*" : t));
        const string rank = "(-ts_rank(p.search_vector, q))::float8";
        var sql = $"""
            SELECT {CatalogStore.SummaryColumns}, {rank} AS Rank
            FROM products p, to_tsquery('english', @tsquery) q
            WHERE p.search_vector @@ q
            {(after is null ? "" : $"AND ({rank} > @afterRank OR ({rank} = @afterRank AND p.id > @afterId))")}
            ORDER BY Rank, p.id
            LIMIT @take
            """;
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<SearchRow>(new CommandDefinition(sql,
            new { tsquery, afterRank = after?.Rank, afterId = after?.Id, take }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }
}

// Settable properties rather than a constructor: a computed rank has no declared column type, and a
// positional record would make Dapper insist on the type a provider reports for an empty result.
internal sealed class SearchRow : CatalogStore.SummaryRow
{
    public double Rank { get; init; }

    public SearchHit ToHit() => new(ToSummary(), Rank);
}
