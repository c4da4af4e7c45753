using System.Diagnostics;
using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Data;
using ScaleShop.Data.Sharding;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Testing;

namespace ScaleShop.Cluster.Tests;

[Collection(nameof(AloneOnTheMachine))]
public sealed class ZeroDowntimeTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private ClusterProcess Cluster => fixture.Cluster;

    [Fact]
    public async Task A_rolling_deploy_under_load_fails_no_request_and_a_rollback_after_it_is_instant()
    {
        var status = await Cluster.StatusAsync(Cancel);
        var from = status.CurrentVersion!;
        var to = "good-" + Guid.NewGuid().ToString("N")[..6];
        Cluster.Publish(to);
        await using var load = fixture.Load();
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel); // the load is running before the deploy starts

        var started = load.Now;
        var watch = Stopwatch.StartNew();
        var rollout = await Cluster.DeployAsync(to, TimeSpan.FromMinutes(2), Cancel);
        var deployed = watch.Elapsed;
        var promotedAt = load.Now;
        Assert.True(rollout.Phase == nameof(RolloutPhase.Promoted), $"{rollout.Phase}: {rollout.Message}");
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel);
        var during = load.Figures(started, promotedAt);
        output.WriteLine($"rolling deploy {from} → {to}: {deployed.TotalSeconds:0.0} s, {rollout.Verdicts.Count} verdicts, last: {rollout.Verdicts.LastOrDefault()?.Summary}");
        output.WriteLine($"  load during the deploy: {during}");
        Assert.Equal(0, during.Failures);
        var after = load.Figures(promotedAt + TimeSpan.FromSeconds(1), load.Now);
        Assert.All(after.ByVersion.Keys, version => Assert.Equal(to, version));

        // Rollback: the previous version is still warm, so it is weights only.
        var rollbackSent = load.Now;
        using var response = await Cluster.PostAsync("api/cluster/rollback", null, Cancel);
        var rolledBackAt = load.Now;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = (await response.Content.ReadFromJsonAsync<RollbackView>(Cancel))!;
        await Task.Delay(TimeSpan.FromSeconds(4), Cancel);
        var afterRollback = load.Figures(rolledBackAt, load.Now);
        output.WriteLine($"rollback {view.From} → {view.To}: {view.ElapsedMs:0} ms at the controller, {(rolledBackAt - rollbackSent).TotalMilliseconds:0} ms for the client");
        output.WriteLine($"  load after the rollback: {afterRollback}");
        output.WriteLine($"  load over the whole scenario: {load.Figures(TimeSpan.Zero, load.Now)}");
        Assert.Equal(from, view.To);
        Assert.True(view.ElapsedMs < 1000, $"rollback took {view.ElapsedMs} ms");
        Assert.Equal(0, afterRollback.Failures);
        Assert.All(afterRollback.ByVersion.Keys, version => Assert.Equal(from, version));
        Assert.Equal(from, (await Cluster.StatusAsync(Cancel)).CurrentVersion);
    }

    /// <summary>
    /// The canary's process dies while it is being judged. The rollout owns the fleet, so nothing starts a replacement
    /// beside it (one it would not know of, which could be promoted or left serving after the rollback); it rolls back at
    /// its next analysis tick, naming the instance. No load runs: what is judged is the control loop, and requests failing
    /// on a killed process would spend the error budget the other scenarios' deploys are gated on.
    /// </summary>
    [Fact]
    public async Task A_canary_that_dies_rolls_the_deploy_back_at_once_and_leaves_nothing_of_its_version()
    {
        var before = await Cluster.StatusAsync(Cancel);
        var from = before.CurrentVersion!;
        var serving = before.Instances.Count(i => i.Version == from && i.Weight > 0);
        var doomed = "doomed-" + Guid.NewGuid().ToString("N")[..6];
        Cluster.Publish(doomed);

        await Cluster.StartDeployAsync(doomed, Cancel);
        var canary = await Cluster.WaitForAsync(status => status.Instances.FirstOrDefault(i => i.Version == doomed && i.Weight > 0),
            TimeSpan.FromMinutes(2), $"a canary of {doomed} taking traffic", Cancel);
        using (var process = Process.GetProcessById(canary.Pid))
        {
            process.Kill();
        }

        var killed = Stopwatch.StartNew();
        var rollout = await Cluster.WaitForRolloutAsync(TimeSpan.FromMinutes(2), Cancel);
        output.WriteLine($"canary {canary.Id} killed; the rollout ended {killed.Elapsed.TotalSeconds:0.0} s later: {rollout.Phase} by {rollout.RolledBackBy}: {rollout.Message}");
        Assert.True(rollout.Phase == nameof(RolloutPhase.RolledBack), $"{rollout.Phase}: {rollout.Message}");
        Assert.Equal(nameof(RollbackCause.InstanceExited), rollout.RolledBackBy);
        Assert.Contains(canary.Id, rollout.Message, StringComparison.Ordinal);

        // Nothing of the doomed version is left, and the old version serves as before.
        await Task.Delay(TimeSpan.FromSeconds(3), Cancel);
        var after = await Cluster.StatusAsync(Cancel);
        Assert.Equal(from, after.CurrentVersion);
        Assert.DoesNotContain(after.Instances, i => i.Version == doomed);
        Assert.Equal(serving, after.Instances.Count(i => i.Version == from && i.Weight > 0 && !i.Exited));
    }

    /// <summary>With no rollout running, the supervision loop replaces a serving instance that died with one of the same version at its weight.</summary>
    [Fact]
    public async Task A_serving_instance_that_dies_is_replaced_by_one_of_its_version()
    {
        var before = await Cluster.StatusAsync(Cancel);
        var version = before.CurrentVersion!;
        var serving = before.Instances.Count(i => i.Version == version && i.Weight > 0);
        var victim = before.Instances.First(i => i.Version == version && i.Weight > 0 && !i.Exited);
        using (var process = Process.GetProcessById(victim.Pid))
        {
            process.Kill();
        }

        var killed = Stopwatch.StartNew();
        var replaced = await Cluster.WaitForAsync(
            status => status.Instances.Count(i => i.Version == version && i.Weight == victim.Weight && i.State == "Serving" && !i.Exited) == serving
                && status.Instances.All(i => i.Id != victim.Id) ? status : null,
            TimeSpan.FromMinutes(2), $"{victim.Id} replaced", Cancel);
        output.WriteLine($"{victim.Id} killed; replaced after {killed.Elapsed.TotalSeconds:0.0} s by {string.Join(", ", replaced.Instances.Where(i => i.StartedAt > victim.StartedAt).Select(i => i.Id))}");
        Assert.Equal(version, replaced.CurrentVersion);
    }

    [Fact]
    public async Task A_bad_version_is_caught_by_the_canary_and_rolled_back_automatically()
    {
        var from = (await Cluster.StatusAsync(Cancel)).CurrentVersion!;
        var bad = "bad-" + Guid.NewGuid().ToString("N")[..6];
        var faults = new Dictionary<string, string> { ["Chaos__Enabled"] = "true" };
        for (var shard = 0; shard < 4; shard++)
        {
            faults[$"Chaos__Dependencies__db.shard{shard}__FaultRate"] = "0.6";
        }

        Cluster.Publish(bad, faults);
        await using var load = fixture.Load();
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel);
        var started = load.Now;
        var rollout = await Cluster.DeployAsync(bad, TimeSpan.FromMinutes(2), Cancel);
        var ended = load.Now;
        Assert.True(rollout.Phase == nameof(RolloutPhase.RolledBack), $"{rollout.Phase}: {rollout.Message}");
        Assert.NotNull(rollout.CanaryToRollbackSeconds);
        var figures = load.Figures(started, ended);
        var canaryRequests = figures.ByVersion.GetValueOrDefault(bad);
        output.WriteLine($"bad canary {bad}: rolled back {rollout.CanaryToRollbackSeconds:0.0} s after it took traffic; {rollout.Message}");
        foreach (var verdict in rollout.Verdicts)
        {
            output.WriteLine($"  {verdict.At:HH:mm:ss.f} {verdict.Outcome}: {verdict.Summary}");
        }

        output.WriteLine($"  load during the rollout: {figures}; the canary answered {canaryRequests}; rolled back by {rollout.RolledBackBy}");
        Assert.True(figures.Failures < ClusterFixture.CanaryShare * figures.Requests, $"{figures.Failures} failures of {figures.Requests}");
        // Either guard may be first on a failing canary: the budget gate (its checkouts' budget gone) or the comparison.
        Assert.Contains(rollout.RolledBackBy, new[] { nameof(RollbackCause.ErrorBudget), nameof(RollbackCause.CanaryAnalysis) });
        Assert.Equal(from, (await Cluster.StatusAsync(Cancel)).CurrentVersion);
        Assert.DoesNotContain((await Cluster.StatusAsync(Cancel)).Instances, i => i.Version == bad);
    }

    /// <summary>
    /// A release that fails nothing and stays ready but is slow: every open of its catalog database waits 600 ms
    /// (its configuration's chaos latency, as a slow query or a starved connection pool would). Neither the error
    /// comparison nor the error budget can see it; the latency comparison must, on warm traffic, and roll it back.
    /// 600 ms is twice the tests' practical margin (+300 ms) above a baseline p99 of tens of milliseconds, and below
    /// the readiness check's own timeout (800 ms), so the canary joins and stays in the gateway. Catalog reads are
    /// cached, so what the canary serves slowly is its cache misses (first product pages, cart adds, checkouts):
    /// a quarter of its requests, which the Mann-Whitney test needs a few hundred requests to call significant —
    /// six workers give the canary that many within the analysis deadline.
    /// </summary>
    [Fact]
    public async Task A_slow_version_is_failed_by_the_latency_comparison_and_rolled_back_automatically()
    {
        var from = (await Cluster.StatusAsync(Cancel)).CurrentVersion!;
        var slow = "slow-" + Guid.NewGuid().ToString("N")[..6];
        Cluster.Publish(slow, new Dictionary<string, string>
        {
            ["Chaos__Enabled"] = "true",
            ["Chaos__Dependencies__db.catalog__LatencyRate"] = "1",
            ["Chaos__Dependencies__db.catalog__LatencyMs"] = "600",
        });
        await using var load = fixture.Load(workers: 6);
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel);
        var started = load.Now;
        var rollout = await Cluster.DeployAsync(slow, TimeSpan.FromMinutes(4), Cancel); // start, warm-up, up to 2 min of analysis, rollback: with room on a busy machine
        var ended = load.Now;
        var figures = load.Figures(started, ended);
        var canary = load.Seen.Where(s => s.SentAt >= started && s.SentAt < ended && s.Version == slow).ToList();
        var others = load.Seen.Where(s => s.SentAt >= started && s.SentAt < ended && s.Version == from).ToList();
        output.WriteLine($"slow canary {slow}: {rollout.Phase} by {rollout.RolledBackBy}, {rollout.CanaryToRollbackSeconds:0.0} s after it took traffic; {rollout.Message}");
        foreach (var verdict in rollout.Verdicts)
        {
            output.WriteLine($"  {verdict.At:HH:mm:ss.f} {verdict.Outcome} (errors {verdict.Errors}, latency {verdict.Latency}): {verdict.Summary}");
        }

        output.WriteLine($"  load during the rollout: {figures}; the canary answered {canary.Count}");
        output.WriteLine(FormattableString.Invariant(
            $"  client-side p50/p99: canary {Quantile(canary, 0.5):0} / {Quantile(canary, 0.99):0} ms, {from} {Quantile(others, 0.5):0} / {Quantile(others, 0.99):0} ms"));

        Assert.True(rollout.Phase == nameof(RolloutPhase.RolledBack), $"{rollout.Phase}: {rollout.Message}");
        Assert.True(rollout.RolledBackBy == nameof(RollbackCause.CanaryAnalysis), $"rolled back by {rollout.RolledBackBy}: {rollout.Message}");
        var decision = Assert.IsType<VerdictView>(rollout.Decision);
        Assert.Equal(nameof(Deployment.Canary.CanaryOutcome.Fail), decision.Outcome);
        Assert.Equal(nameof(Deployment.Canary.CanaryOutcome.Fail), decision.Latency);
        Assert.NotEqual(nameof(Deployment.Canary.CanaryOutcome.Fail), decision.Errors);
        Assert.StartsWith("canary analysis: Fail: latency fail", rollout.Message, StringComparison.Ordinal);
        Assert.NotNull(rollout.CanaryToRollbackSeconds);
        Assert.Equal(0, figures.Failures);
        Assert.Equal(from, (await Cluster.StatusAsync(Cancel)).CurrentVersion);
        Assert.DoesNotContain((await Cluster.StatusAsync(Cancel)).Instances, i => i.Version == slow);
    }

    private static double Quantile(IReadOnlyList<Seen> seen, double q)
    {
        if (seen.Count == 0)
        {
            return double.NaN;
        }

        var sorted = seen.Select(s => s.Latency.TotalMilliseconds).Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }

    [Fact]
    public async Task The_autoscaler_adds_instances_on_a_load_step_and_removes_them_when_it_drops_without_a_failed_request()
    {
        var initial = (await Cluster.StatusAsync(Cancel)).Instances.Count(i => i.State == "Serving" && i.Weight > 0);
        await using var load = fixture.Load(workers: 1);
        (await Cluster.PutAsync("api/cluster/autoscale", new { enabled = true }, Cancel)).EnsureSuccessStatusCode();
        try
        {
            var watch = Stopwatch.StartNew();
            var low = await ServingAsync(n => n == 1, TimeSpan.FromSeconds(60));
            output.WriteLine($"autoscaler: {initial} → {low} instance(s) at a light load in {watch.Elapsed.TotalSeconds:0.0} s");

            load.SetWorkers(8);
            var stepAt = load.Now;
            watch.Restart();
            var high = await ServingAsync(n => n >= 2, TimeSpan.FromSeconds(60));
            var upAfter = watch.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(4), Cancel);
            var stepFigures = load.Figures(stepAt, load.Now);
            output.WriteLine($"  load step to 8 workers: {high} instance(s) after {upAfter.TotalSeconds:0.0} s; {stepFigures}");

            load.SetWorkers(1);
            var dropAt = load.Now;
            watch.Restart();
            var after = await ServingAsync(n => n == 1, TimeSpan.FromSeconds(60));
            var downAfter = watch.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(3), Cancel);
            var dropFigures = load.Figures(dropAt, load.Now);
            output.WriteLine($"  load drop to 1 worker: {after} instance(s) after {downAfter.TotalSeconds:0.0} s; {dropFigures}");
            var whole = load.Figures(TimeSpan.Zero, load.Now);
            output.WriteLine($"  whole scenario: {whole}");
            Assert.Equal(0, whole.Failures);
        }
        finally
        {
            (await Cluster.PutAsync("api/cluster/autoscale", new { enabled = false }, CancellationToken.None)).Dispose();
            (await Cluster.PutAsync("api/cluster/scale", new { instances = 2 }, CancellationToken.None)).Dispose();
        }
    }

    [Fact]
    public async Task A_deploy_whose_migration_would_break_the_running_version_is_refused_before_anything_starts()
    {
        var status = await Cluster.StatusAsync(Cancel);
        var breaking = "breaking-" + Guid.NewGuid().ToString("N")[..6];
        Cluster.Publish(breaking);
        var scripts = Cluster.Versions.MigrationsOf(breaking);
        await File.WriteAllTextAsync(Path.Combine(scripts, TestStorage.Provider, "Catalog", "0100_drop_product_name.sql"),
            "ALTER TABLE products DROP COLUMN name;\n", Cancel);

        var rollout = await Cluster.DeployAsync(breaking, TimeSpan.FromSeconds(30), Cancel);
        output.WriteLine($"{rollout.Phase}: {rollout.Message}");
        Assert.Equal(nameof(RolloutPhase.Refused), rollout.Phase);
        Assert.Contains("0100_drop_product_name.sql", rollout.Message, StringComparison.Ordinal);
        Assert.Null(rollout.CanaryStartedAt);
        var after = await Cluster.StatusAsync(Cancel);
        Assert.Equal(status.CurrentVersion, after.CurrentVersion);
        Assert.DoesNotContain(after.Instances, i => i.Version == breaking);
    }

    /// <summary>
    /// Expand/contract in practice. A version whose scripts add a nullable column to the catalog and a table to every
    /// shard deploys under load: its canary migrates the shared databases from its own scripts folder (the one the check
    /// approved) while the running version keeps serving on the expanded schema, and a rollback leaves that schema to
    /// the old version, which needs nothing it took away. Names are unique: the fixture's databases outlive the test.
    /// </summary>
    [Fact]
    public async Task A_version_with_an_additive_migration_deploys_and_rolls_back_under_load_without_a_failed_request()
    {
        var from = (await Cluster.StatusAsync(Cancel)).CurrentVersion!;
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var to = "expand-" + suffix;
        Cluster.Publish(to);
        var scripts = Path.Combine(Cluster.Versions.MigrationsOf(to), TestStorage.Provider);
        await File.WriteAllTextAsync(Path.Combine(scripts, "Catalog", $"0100_subtitle_{suffix}.sql"),
            $"ALTER TABLE products ADD COLUMN subtitle_{suffix} text;\n", Cancel);
        await File.WriteAllTextAsync(Path.Combine(scripts, "Shard", $"0100_gift_notes_{suffix}.sql"),
            $"CREATE TABLE IF NOT EXISTS gift_notes_{suffix} (order_id bigint PRIMARY KEY, note text NOT NULL);\n", Cancel);
        await using var load = fixture.Load();
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel);

        var started = load.Now;
        var rollout = await Cluster.DeployAsync(to, TimeSpan.FromMinutes(2), Cancel);
        var promotedAt = load.Now;
        Assert.True(rollout.Phase == nameof(RolloutPhase.Promoted), $"{rollout.Phase}: {rollout.Message}");
        output.WriteLine($"deploy {from} → {to}: migration check: {rollout.Migration}");
        Assert.StartsWith("2 new script(s)", rollout.Migration, StringComparison.Ordinal);
        var during = load.Figures(started, promotedAt);
        output.WriteLine($"  load during the deploy: {during}");
        Assert.Equal(0, during.Failures);
        Assert.Contains(from, during.ByVersion.Keys); // the old version served on the schema the canary had expanded

        await using (var storage = ClusterStorage.Open(Cluster.StorageSettings))
        {
            var router = storage.GetRequiredService<IDatabaseRouter>();
            await using (var catalog = await router.OpenCatalogAsync(DataIntent.Write, Cancel))
            {
                Assert.Contains($"ScaleShop.Data.Migrations.{TestStorage.Provider}.Catalog.0100_subtitle_{suffix}.sql",
                    await catalog.QueryAsync<string>("SELECT scriptname FROM schemaversions"));
                Assert.Equal(0, await catalog.ExecuteScalarAsync<long>($"SELECT count(subtitle_{suffix}) FROM products")); // there, and empty
            }

            var map = await storage.GetRequiredService<ShardMapStore>().LoadOrCreateAsync(Cancel);
            foreach (var physical in map.PhysicalDatabases)
            {
                await using var shard = await router.OpenPhysicalShardAsync(physical, DataIntent.Write, Cancel);
                Assert.Equal(0, await shard.ExecuteScalarAsync<long>($"SELECT count(*) FROM gift_notes_{suffix}"));
            }
        }

        using var response = await Cluster.PostAsync("api/cluster/rollback", null, Cancel);
        var rolledBackAt = load.Now;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(4), Cancel);
        var afterRollback = load.Figures(rolledBackAt, load.Now);
        output.WriteLine($"  load after the rollback to {from} (schema left expanded): {afterRollback}");
        Assert.Equal(0, afterRollback.Failures);
        Assert.All(afterRollback.ByVersion.Keys, version => Assert.Equal(from, version));
    }

    [Fact]
    public async Task Bad_input_to_the_control_api_is_problem_details_naming_the_field()
    {
        using var deploy = await Cluster.PostAsync("api/cluster/deployments", new { version = "" }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, deploy.StatusCode);
        Assert.Contains("version", await deploy.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        using var missing = await Cluster.PostAsync("api/cluster/deployments", new { version = "never-published" }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var scale = await Cluster.PutAsync("api/cluster/scale", new { instances = 0 }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, scale.StatusCode);
        Assert.Contains("instances", await scale.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    private async Task<int> ServingAsync(Func<int, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var status = await Cluster.StatusAsync(Cancel);
            var serving = status.Instances.Count(i => i.State == "Serving" && i.Weight > 0 && i.Version == status.CurrentVersion);
            if (condition(serving))
            {
                return serving;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"instances: {serving}; autoscaler: {status.Autoscale}");
            await Task.Delay(250, Cancel);
        }
    }
}
