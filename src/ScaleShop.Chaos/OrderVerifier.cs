using System.Collections.Concurrent;
using System.Diagnostics;

namespace ScaleShop.Chaos;

/// <summary>
/// After the rollback: every acknowledged order, looked up by its owner. An order the service answers 404 for,
/// or shows in a state orders never take, is lost; an order still pending is watched until it settles or the
/// experiment's bound runs out.
/// </summary>
public sealed class OrderVerifier(StorefrontAdmin storefront)
{
    // The storefront may still be recovering from the fault just rolled back: an unanswered lookup is retried.
    private static readonly TimeSpan LookupPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private const int Parallelism = 8;

    public async Task<OrderFigures> VerifyAsync(IReadOnlyCollection<AcknowledgedOrderRecord> orders, OrderInvariants invariants, CancellationToken cancellationToken)
    {
        var statuses = await LookUpAsync(orders, LookupPatience, cancellationToken);
        var pendingAtEnd = statuses.Count(s => s.Value == "pending_payment");
        TimeSpan? settledIn = null;
        if (invariants.PendingSettleWithin is { } bound && pendingAtEnd > 0)
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < bound)
            {
                await Task.Delay(RetryDelay, cancellationToken);
                var pending = orders.Where(o => statuses.GetValueOrDefault(o.Order.OrderId) == "pending_payment").ToList();
                foreach (var (id, status) in await LookUpAsync(pending, RetryDelay, cancellationToken))
                {
                    statuses[id] = status;
                }

                if (!statuses.Values.Contains("pending_payment"))
                {
                    settledIn = watch.Elapsed;
                    break;
                }
            }
        }

        return OrderFigures.From(orders, statuses, pendingAtEnd, settledIn, invariants);
    }

    /// <summary>Each order's status as its owner sees it; "not_found" for a 404, "unanswered: ..." when the service never answered in time.</summary>
    private async Task<Dictionary<string, string>> LookUpAsync(IReadOnlyCollection<AcknowledgedOrderRecord> orders, TimeSpan patience, CancellationToken cancellationToken)
    {
        var results = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var deadline = Stopwatch.StartNew();
        await Parallel.ForEachAsync(orders, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (record, ct) =>
        {
            var token = record.Order.Token ?? await storefront.SignInAsync(record.Order.Email, Data.Seeding.SeedAccounts.Password, ct);
            while (true)
            {
                OrderLookup lookup;
                try
                {
                    lookup = token is null ? new OrderLookup(OrderLookupResult.Unanswered, "sign-in failed") : await storefront.OrderAsync(record.Order.OrderId, token, ct);
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    lookup = new OrderLookup(OrderLookupResult.Unanswered, exception.GetType().Name);
                }

                if (lookup.Result != OrderLookupResult.Unanswered || deadline.Elapsed >= patience)
                {
                    results[record.Order.OrderId] = lookup.Result switch
                    {
                        OrderLookupResult.Found => lookup.StatusOrError ?? "(no status)",
                        OrderLookupResult.NotFound => OrderFigures.NotFound,
                        _ => $"unanswered: {lookup.StatusOrError}",
                    };
                    return;
                }

                await Task.Delay(RetryDelay, ct);
                token ??= await storefront.SignInAsync(record.Order.Email, Data.Seeding.SeedAccounts.Password, ct);
            }
        });
        return new Dictionary<string, string>(results, StringComparer.Ordinal);
    }
}

/// <summary>Orders acknowledged during the run, and what became of them.</summary>
public sealed record OrderFigures(
    int Acknowledged, int Confirmed201, int Pending202, int Found, IReadOnlyList<string> Lost,
    IReadOnlyDictionary<string, int> StatusesAtEnd, int PendingAtEnd, double? SettledInSeconds, IReadOnlyList<string> Violations)
{
    public const string NotFound = "not_found";

    /// <summary>Judges the invariants over what the lookups found; pure, so that it can be tested to fail.</summary>
    public static OrderFigures From(
        IReadOnlyCollection<AcknowledgedOrderRecord> orders, IReadOnlyDictionary<string, string> statuses, int pendingAtEnd, TimeSpan? settledIn, OrderInvariants invariants)
    {
        var lost = orders.Where(o => !OrderInvariants.KnownStatuses.Contains(statuses.GetValueOrDefault(o.Order.OrderId) ?? NotFound))
            .Select(o => $"{o.Order.OrderId} ({o.Order.Email}, {o.Order.Status}): {statuses.GetValueOrDefault(o.Order.OrderId) ?? "not looked up"}").ToList();
        var violations = new List<string>();
        if (invariants.AcknowledgedOrdersFound && lost.Count > 0)
        {
            violations.Add($"{lost.Count} of {orders.Count} acknowledged orders were not found by their owners in a known state (first: {lost[0]})");
        }

        var stillPending = statuses.Values.Count(s => s == "pending_payment");
        if (invariants.PendingSettleWithin is { } bound && stillPending > 0)
        {
            violations.Add($"{stillPending} orders were still pending_payment {bound.TotalSeconds:0} s after the rollback");
        }

        var atEnd = statuses.Values.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new OrderFigures(orders.Count, orders.Count(o => o.Order.Status == 201), orders.Count(o => o.Order.Status == 202),
            orders.Count - lost.Count, lost, atEnd, pendingAtEnd, settledIn?.TotalSeconds, violations);
    }
}
