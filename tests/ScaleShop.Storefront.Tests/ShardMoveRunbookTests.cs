namespace ScaleShop.Storefront.Tests;

/// <summary>
/// docs/runbooks/move-a-shard.md executed as written against a real storefront process (on whichever provider the
/// pass runs): every step succeeds on a healthy system, its verification passes, and the shard is where the runbook
/// moved it. A runbook whose API calls drift from the service fails here.
/// </summary>
public sealed class ShardMoveRunbookTests : RealProcessTest
{
    [Fact]
    public async Task The_move_a_shard_runbook_moves_a_shard_under_its_own_verification()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            using var admin = await storefront.SignedInAsync(StorefrontApp.AdminEmail, StorefrontApp.AdminPassword, ct);
            var before = await (await admin.GetAsync("/api/v1/admin/shards", ct)).ReadAsync<ShardsDto>();
            var source = before.Layout.Last(l => l.LogicalShards.Count > 0);
            var target = before.Layout.First(l => l.PhysicalDatabase != source.PhysicalDatabase).PhysicalDatabase;
            var shard = source.LogicalShards[0];

            // On a healthy system every step succeeds, not only the verification.
            RunbookRun.AssertRanCleanly(await RunbookRun.DrillAsync("move-a-shard.md", admin, new Dictionary<string, string>
            {
                ["SHARD"] = shard.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["TARGET"] = target,
            }));
            var after = await (await admin.GetAsync("/api/v1/admin/shards", ct)).ReadAsync<ShardsDto>();
            Assert.Contains(shard, after.Layout.Single(l => l.PhysicalDatabase == target).LogicalShards);
            Assert.Equal(before.Version + 1, after.Version);
        }
        finally
        {
            storefront.Kill();
        }
    }

    private sealed record ShardsDto(int Version, List<LayoutDto> Layout);

    private sealed record LayoutDto(string PhysicalDatabase, List<int> LogicalShards);
}
