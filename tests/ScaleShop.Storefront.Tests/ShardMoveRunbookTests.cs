using ScaleShop.Chaos.Runbooks;

namespace ScaleShop.Storefront.Tests;

/// <summary>
/// docs/runbooks/move-a-shard.md executed as written against a real storefront process (on whichever provider the
/// pass runs): every step succeeds on a healthy system, its verification passes, and the shard is where the runbook
/// moved it. A runbook whose API calls drift from the service fails here.
/// </summary>
public sealed class ShardMoveRunbookTests : RealProcessTest
{
    private static readonly string RunbookPath = Path.Combine(RepositoryRoot.Path, "docs", "runbooks", "move-a-shard.md");

    [Fact]
    public async Task The_move_a_shard_runbook_moves_a_shard_under_its_own_verification()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>(), ct);
        try
        {
            using var anonymous = new HttpClient { BaseAddress = storefront.Address };
            var session = await (await anonymous.PostAsJsonAsync("/api/v1/sessions", new { email = StorefrontApp.AdminEmail, password = StorefrontApp.AdminPassword }, ct))
                .ReadAsync<StorefrontApp.TokenDto>();
            // One admin session: the test reads with it, and the runbook gets its token.
            using var admin = new HttpClient { BaseAddress = storefront.Address };
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session.AccessToken);
            var before = await (await admin.GetAsync("/api/v1/admin/shards", ct)).ReadAsync<ShardsDto>();
            var source = before.Layout.Last(l => l.LogicalShards.Count > 0);
            var target = before.Layout.First(l => l.PhysicalDatabase != source.PhysicalDatabase).PhysicalDatabase;
            var shard = source.LogicalShards[0];

            var drill = await new RunbookDrill(new DrillSettings(
                RepositoryRoot.Path,
                new Dictionary<string, string>
                {
                    ["B"] = storefront.Address.ToString().TrimEnd('/'),
                    ["ADMIN_TOKEN"] = session.AccessToken,
                    ["SHARD"] = shard.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["TARGET"] = target,
                },
                StepTimeout: TimeSpan.FromSeconds(30), VerifyDeadline: TimeSpan.FromSeconds(90), VerifyInterval: TimeSpan.FromSeconds(1)))
                .RunAsync(Runbook.Read(RunbookPath), ct);

            foreach (var step in drill.Steps)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"{step.Block.Section}:{step.Block.Line} exit {step.ExitCode}\n{step.Output}");
            }

            Assert.Empty(drill.Rotten);
            Assert.All(drill.Steps, step => Assert.True(step.ExitCode == 0, $"Step at line {step.Block.Line} ({step.Block.Section}) exited {step.ExitCode} on a healthy system:\n{step.Output}"));
            Assert.True(drill.Recovered, $"The runbook's verification never passed:\n{drill.LastVerification?.Output}");
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
