using ScaleShop.Load;

namespace ScaleShop.Chaos.Tests;

public sealed class OrderInvariantTests
{
    private static readonly OrderInvariants FoundAndSettled = new(AcknowledgedOrdersFound: true, PendingSettleWithin: TimeSpan.FromSeconds(30));

    [Fact]
    public void Orders_found_in_known_states_violate_nothing()
    {
        var orders = new[] { Order("1", 201), Order("2", 202), Order("3", 202) };
        var statuses = new Dictionary<string, string> { ["1"] = "confirmed", ["2"] = "confirmed", ["3"] = "cancelled" };

        var figures = OrderFigures.From(orders, statuses, pendingAtEnd: 1, TimeSpan.FromSeconds(4), FoundAndSettled);

        Assert.Empty(figures.Violations);
        Assert.Equal((3, 1, 2, 3), (figures.Acknowledged, figures.Confirmed201, figures.Pending202, figures.Found));
        Assert.Equal(4, figures.SettledInSeconds);
    }

    [Theory]
    [InlineData(OrderFigures.NotFound)]
    [InlineData("unanswered: http_503")]
    [InlineData("shipped")]
    public void An_acknowledged_order_not_found_in_a_known_state_is_lost(string status)
    {
        var orders = new[] { Order("1", 201), Order("2", 202) };
        var statuses = new Dictionary<string, string> { ["1"] = "confirmed", ["2"] = status };

        var figures = OrderFigures.From(orders, statuses, pendingAtEnd: 0, settledIn: null, FoundAndSettled);

        Assert.Single(figures.Lost);
        Assert.StartsWith("2 (user7@seed.scaleshop.test, 202)", figures.Lost[0], StringComparison.Ordinal);
        Assert.Contains("1 of 2 acknowledged orders were not found", Assert.Single(figures.Violations), StringComparison.Ordinal);
    }

    [Fact]
    public void An_order_never_looked_up_counts_as_lost()
    {
        var figures = OrderFigures.From([Order("1", 201)], new Dictionary<string, string>(), 0, null, FoundAndSettled);

        Assert.Single(figures.Lost);
    }

    [Fact]
    public void An_order_still_pending_past_the_bound_is_a_violation()
    {
        var statuses = new Dictionary<string, string> { ["1"] = "pending_payment" };

        var figures = OrderFigures.From([Order("1", 202)], statuses, pendingAtEnd: 1, settledIn: null, FoundAndSettled);

        Assert.Empty(figures.Lost);
        Assert.Contains("still pending_payment 30 s after the rollback", Assert.Single(figures.Violations), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_settle_bound_a_pending_order_is_fine()
    {
        var statuses = new Dictionary<string, string> { ["1"] = "pending_payment" };

        Assert.Empty(OrderFigures.From([Order("1", 202)], statuses, 1, null, new OrderInvariants(true, null)).Violations);
    }

    private static AcknowledgedOrderRecord Order(string id, int status) =>
        new(new AcknowledgedOrder(id, 7, "user7@seed.scaleshop.test", status, Token: null), TimeSpan.Zero, "shard1");
}
