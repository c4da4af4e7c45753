using ScaleShop.Cluster.Processes;

namespace ScaleShop.Cluster.Tests;

[Collection(nameof(AloneOnTheMachine))]
public sealed class ClusterDownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cluster_down_leaves_no_process_behind()
    {
        await using var cluster = await ClusterProcess.StartAsync(1, new Dictionary<string, string>(), TestContext.Current.CancellationToken);
        var children = await cluster.ChildPidsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(4, children.Count); // gateway, payment provider, recommendations, one storefront
        var took = await cluster.DownAsync(TimeSpan.FromMinutes(1));
        output.WriteLine($"cluster down: {took.TotalSeconds:0.0} s, {children.Count} children + the controller");
        Assert.True(cluster.HasExited);
        Assert.All(children, pid => Assert.False(ChildProcess.IsAlive(pid), $"process {pid} is still running"));
        Assert.Empty(ProcessLeaks.Mentioning(cluster.State));
    }
}
