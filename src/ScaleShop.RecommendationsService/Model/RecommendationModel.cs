using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ScaleShop.RecommendationsService.Model;

/// <summary>
/// Item-to-item collaborative filtering from confirmed orders, in the service's own SQLite file: per product,
/// how often each other product was in the same order (co-purchases); per user, what they bought; per product,
/// how many orders held it. "Customers also bought" is the top of a product's co-purchases; a user's personal
/// picks sum the co-purchases of what they bought recently, damped by each candidate's popularity (so the
/// best-sellers, which co-occur with everything, do not crowd out what is specific to the user), without what
/// they already own. The store is derived data: losing it loses nothing that replaying order events cannot
/// rebuild, which is why it may live on the service's local disk.
/// </summary>
public sealed class RecommendationModel
{
    private readonly string _connectionString;
    private readonly RecommendationOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private volatile PopularList _popular = new([], DateTimeOffset.MinValue);
    private DateTimeOffset _lastPurge = DateTimeOffset.MinValue;

    public RecommendationModel(IOptions<RecommendationOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var directory = Path.GetFullPath(_options.DataDirectory);
        Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "recommendations.db"), Pooling = true }.ToString();
        using var connection = Open();
        connection.Execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS processed_events (
                event_id     INTEGER PRIMARY KEY,
                processed_at INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ix_processed_events_age ON processed_events (processed_at);
            CREATE TABLE IF NOT EXISTS user_products (
                user_id        INTEGER NOT NULL,
                product_id     INTEGER NOT NULL,
                orders         INTEGER NOT NULL,
                last_bought_at INTEGER NOT NULL,
                PRIMARY KEY (user_id, product_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS ix_user_products_recent ON user_products (user_id, last_bought_at DESC);
            CREATE TABLE IF NOT EXISTS co_purchases (
                product_id       INTEGER NOT NULL,
                other_product_id INTEGER NOT NULL,
                orders           INTEGER NOT NULL,
                PRIMARY KEY (product_id, other_product_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS ix_co_purchases_rank ON co_purchases (product_id, orders DESC, other_product_id);
            CREATE TABLE IF NOT EXISTS popularity (
                product_id INTEGER PRIMARY KEY,
                orders     INTEGER NOT NULL,
                units      INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ix_popularity_rank ON popularity (orders DESC, product_id);
            """);
    }

    /// <summary>Applies confirmed orders once each (by event id), in one transaction; repeats are counted, not applied.</summary>
    public async Task<IngestionResult> IngestAsync(IReadOnlyList<ConfirmedOrder> orders, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = Open();
            await using var transaction = connection.BeginTransaction();
            var now = _time.GetUtcNow();
            var fresh = new List<ConfirmedOrder>();
            foreach (var order in orders.DistinctBy(o => o.EventId))
            {
                if (await connection.ExecuteAsync(new CommandDefinition("INSERT OR IGNORE INTO processed_events (event_id, processed_at) VALUES (@EventId, @now)",
                        new { order.EventId, now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken)) == 1)
                {
                    fresh.Add(order);
                }
            }

            var purchases = new Dictionary<(long User, long Product), (long Orders, long LastAt)>();
            var popularity = new Dictionary<long, (long Orders, long Units)>();
            var pairs = new Dictionary<(long, long), long>();
            foreach (var order in fresh)
            {
                var lines = order.Lines.GroupBy(l => l.ProductId).Select(g => (ProductId: g.Key, Units: g.Sum(l => (long)l.Quantity))).ToList();
                foreach (var (productId, units) in lines)
                {
                    var (count, lastAt) = purchases.GetValueOrDefault((order.UserId, productId));
                    purchases[(order.UserId, productId)] = (count + 1, Math.Max(lastAt, order.OccurredAt.ToUnixTimeMilliseconds()));
                    var (orderCount, unitCount) = popularity.GetValueOrDefault(productId);
                    popularity[productId] = (orderCount + 1, unitCount + units);
                }

                if (lines.Count > 1 && lines.Count <= _options.MaxLinesForPairs)
                {
                    foreach (var a in lines)
                    {
                        foreach (var b in lines.Where(b => b.ProductId != a.ProductId))
                        {
                            pairs[(a.ProductId, b.ProductId)] = pairs.GetValueOrDefault((a.ProductId, b.ProductId)) + 1;
                        }
                    }
                }
            }

            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO user_products (user_id, product_id, orders, last_bought_at) VALUES (@user, @product, @orders, @lastAt)
                ON CONFLICT (user_id, product_id) DO UPDATE SET orders = orders + excluded.orders, last_bought_at = max(last_bought_at, excluded.last_bought_at)
                """,
                purchases.Select(p => new { user = p.Key.User, product = p.Key.Product, orders = p.Value.Orders, lastAt = p.Value.LastAt }), transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO popularity (product_id, orders, units) VALUES (@product, @orders, @units)
                ON CONFLICT (product_id) DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units
                """,
                popularity.Select(p => new { product = p.Key, orders = p.Value.Orders, units = p.Value.Units }), transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO co_purchases (product_id, other_product_id, orders) VALUES (@product, @other, @orders)
                ON CONFLICT (product_id, other_product_id) DO UPDATE SET orders = orders + excluded.orders
                """,
                pairs.Select(p => new { product = p.Key.Item1, other = p.Key.Item2, orders = p.Value }), transaction, cancellationToken: cancellationToken));

            if (now - _lastPurge > TimeSpan.FromHours(1))
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM processed_events WHERE processed_at < @cutoff",
                    new { cutoff = (now - _options.ProcessedEventRetention).ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
                _lastPurge = now;
            }

            await transaction.CommitAsync(cancellationToken);
            return new IngestionResult(fresh.Count, orders.Count - fresh.Count);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// For a product page: what was bought with it (<c>related</c>); for a signed-in user: their personal picks
    /// (<c>personalized</c>); otherwise, or while the data says nothing yet, the best-sellers (<c>popular</c>).
    /// </summary>
    public async Task<Recommendation> RecommendAsync(long? userId, long? productId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        if (productId is { } product)
        {
            var related = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT other_product_id FROM co_purchases WHERE product_id = @product ORDER BY orders DESC, other_product_id LIMIT @limit",
                new { product, limit }, cancellationToken: cancellationToken))).ToList();
            if (related.Count > 0)
            {
                return new Recommendation(related, RecommendationSources.Related);
            }
        }

        var owned = new HashSet<long>();
        if (userId is { } user)
        {
            var candidates = (await connection.QueryAsync<Candidate>(new CommandDefinition(
                """
                WITH history AS (
                    SELECT product_id FROM user_products WHERE user_id = @user ORDER BY last_bought_at DESC LIMIT @history)
                SELECT cp.other_product_id AS ProductId, SUM(cp.orders) AS Together, COALESCE(MAX(p.orders), 1) AS Orders
                FROM history h
                JOIN co_purchases cp ON cp.product_id = h.product_id
                LEFT JOIN popularity p ON p.product_id = cp.other_product_id
                WHERE cp.other_product_id NOT IN (SELECT product_id FROM user_products WHERE user_id = @user)
                GROUP BY cp.other_product_id
                ORDER BY Together DESC, cp.other_product_id
                LIMIT @pool
                """,
                new { user, history = _options.HistoryProducts, pool = _options.CandidatePool }, cancellationToken: cancellationToken))).ToList();
            var picks = candidates
                .Where(c => c.ProductId != productId)
                .OrderByDescending(c => c.Together / Math.Sqrt(Math.Max(1, c.Orders)))
                .ThenBy(c => c.ProductId)
                .Take(limit)
                .Select(c => c.ProductId)
                .ToList();
            if (picks.Count > 0)
            {
                return new Recommendation(picks, RecommendationSources.Personalized);
            }

            owned = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT product_id FROM user_products WHERE user_id = @user", new { user }, cancellationToken: cancellationToken))).ToHashSet();
        }

        var popular = await PopularAsync(connection, cancellationToken);
        return new Recommendation(popular.Where(p => p != productId && !owned.Contains(p)).Take(limit).ToList(), RecommendationSources.Popular);
    }

    /// <summary>The best-sellers, read at most once per <see cref="RecommendationOptions.PopularRefresh"/>; concurrent refreshes are harmless.</summary>
    private async Task<IReadOnlyList<long>> PopularAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var current = _popular;
        var now = _time.GetUtcNow();
        if (now - current.ReadAt < _options.PopularRefresh)
        {
            return current.ProductIds;
        }

        var ids = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT product_id FROM popularity ORDER BY orders DESC, product_id LIMIT @pool",
            new { pool = _options.CandidatePool }, cancellationToken: cancellationToken))).ToList();
        _popular = new PopularList(ids, now);
        return ids;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Settable properties, not a positional record: an empty SQLite result has no column types for Dapper to match a constructor with.</summary>
    private sealed class Candidate
    {
        public long ProductId { get; init; }

        public long Together { get; init; }

        public long Orders { get; init; }
    }

    private sealed record PopularList(IReadOnlyList<long> ProductIds, DateTimeOffset ReadAt);
}
