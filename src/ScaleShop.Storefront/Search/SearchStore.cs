using Dapper;
using ScaleShop.Data;
using ScaleShop.Storefront.Catalog;

namespace ScaleShop.Storefront.Search;

public sealed record SearchHit(ProductSummary Product, double Rank);

/// <summary>
/// Full-text search over product names and descriptions with SQLite FTS5, best matches first (bm25, name
/// weighted over description), keyset-paginated on (rank, id) so deep pages cost what the first page costs.
/// </summary>
public sealed class SearchStore(IDatabaseRouter databases)
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string matchExpression, (double Rank, long Id)? after, int take, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT {CatalogStore.SummaryColumns}, s.rank AS Rank
            FROM products_search s JOIN products p ON p.id = s.rowid
            WHERE products_search MATCH @matchExpression
            {(after is null ? "" : "AND (s.rank > @afterRank OR (s.rank = @afterRank AND p.id > @afterId))")}
            ORDER BY s.rank, p.id
            LIMIT @take
            """;
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Read, cancellationToken);
        var rows = await connection.QueryAsync<HitRow>(new CommandDefinition(sql,
            new { matchExpression, afterRank = after?.Rank, afterId = after?.Id, take }, cancellationToken: cancellationToken));
        return rows.Select(r => new SearchHit(new CatalogStore.SummaryRow(r.Id, r.Sku, r.Name, r.PriceCents, r.Currency, r.CategoryId, r.Stock).ToSummary(), r.Rank)).ToList();
    }

    // Settable properties rather than a constructor: FTS5's rank has no declared type, and a positional
    // record would make Dapper insist on the column type SQLite reports for an empty result.
    private sealed class HitRow
    {
        public long Id { get; init; }
        public string Sku { get; init; } = "";
        public string Name { get; init; } = "";
        public long PriceCents { get; init; }
        public string Currency { get; init; } = "";
        public long CategoryId { get; init; }
        public long Stock { get; init; }
        public double Rank { get; init; }
    }
}
