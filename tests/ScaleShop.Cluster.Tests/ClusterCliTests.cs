using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ScaleShop.Cluster.Control;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Processes;
using ScaleShop.Data;
using ScaleShop.Testing;

namespace ScaleShop.Cluster.Tests;

/// <summary>
/// The CLI's own <c>cluster publish</c>, <c>cluster up</c>, <c>cluster status</c> and <c>cluster down</c>, run as an
/// operator runs them (the CLI's build output, a fresh state folder, free ports): the cluster serves through its
/// gateway, and after <c>down</c> not one process it started is left — neither those <c>status</c> listed nor any
/// other that names the state folder. <c>up</c> starts the controller detached (setsid), so nothing but the state
/// folder ties those processes to this test.
/// </summary>
[Collection(nameof(AloneOnTheMachine))]
public sealed class ClusterCliTests(ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Cluster_up_status_and_down_through_the_cli_leave_no_process_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        var state = Path.Combine(Path.GetTempPath(), "scaleshop-cluster-tests", "cli-" + Guid.NewGuid().ToString("N"));
        var publicUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        // What the controller and, through it, the instances get: a small catalog (the default seeds 10,000 products).
        var environment = new Dictionary<string, string>
        {
            ["NO_COLOR"] = "1",
            ["Cluster__StorefrontEnvironment__Seed__Products"] = ClusterProcess.Products.ToString(CultureInfo.InvariantCulture),
            ["Cluster__StorefrontEnvironment__Seed__Categories"] = ClusterProcess.Categories.ToString(CultureInfo.InvariantCulture),
            ["Cluster__StorefrontEnvironment__Seed__Users"] = ClusterProcess.Users.ToString(CultureInfo.InvariantCulture),
            ["Cluster__StorefrontEnvironment__Logging__LogLevel__Default"] = "Warning",
        };
        // The PostgreSQL pass runs `up --topology postgres` with the topology's settings in the shell, as an operator
        // does after `eval "$(deploy/local/topology.sh env)"`, on databases of its own (this folder's name is their prefix).
        var dataDirectory = Path.Combine(state, Path.GetFileName(state));
        string[] topology = [];
        if (TestStorage.IsPostgres)
        {
            topology = ["--topology", "postgres"];
            foreach (var (key, value) in TestStorage.Settings(dataDirectory))
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
            }
        }

        List<int> started = [];
        try
        {
            // A copy of the current build, as `cluster up` would publish one on a fresh folder (without running dotnet publish).
            var publish = await CliAsync(["cluster", "publish", "v1", "--from", ClusterProcess.Build("ScaleShop.Storefront"), "--state", state], environment, TimeSpan.FromMinutes(2), ct);
            Assert.True(publish.ExitCode == 0, publish.Output);

            var watch = Stopwatch.StartNew();
            var up = await CliAsync(
                ["cluster", "up", "--state", state, "--instances", "1", "--public-url", publicUrl.ToString(),
                    "--gateway-admin-url", $"http://127.0.0.1:{FreePorts.Next()}/", "--control-url", $"http://127.0.0.1:{FreePorts.Next()}/", .. topology],
                environment, TimeSpan.FromMinutes(4), ct);
            var upTook = watch.Elapsed;
            var controller = ControllerRecord.Read(state);
            if (controller is not null)
            {
                started.Add(controller.Pid);
            }

            Assert.True(up.ExitCode == 0, $"cluster up exited {up.ExitCode}:\n{up.Output}");
            Assert.NotNull(controller);

            var status = await CliAsync(["cluster", "status", "--json", "--state", state], environment, TimeSpan.FromMinutes(1), ct);
            Assert.True(status.ExitCode == 0, status.Output);
            var cluster = JsonSerializer.Deserialize<ClusterStatus>(status.Output, Json)!;
            var children = cluster.Instances.Select(i => i.Pid).Concat(cluster.FixedParts.Where(p => p.Pid is not null).Select(p => p.Pid!.Value)).ToList();
            started.AddRange(children);
            Assert.Equal("Running", cluster.Phase);
            Assert.Equal("v1", cluster.CurrentVersion);
            var instance = Assert.Single(cluster.Instances);
            Assert.Equal("Serving", instance.State);
            Assert.Equal(4, children.Count); // gateway, payment provider, recommendations, one storefront
            var everything = ProcessLeaks.Mentioning(state);
            Assert.All(children.Append(controller.Pid), pid => Assert.Contains(everything, p => p.Pid == pid));

            using (var http = new HttpClient { BaseAddress = publicUrl, Timeout = TimeSpan.FromSeconds(30) })
            using (var response = await http.GetAsync("api/v1/products?limit=1", ct))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("v1", response.Headers.GetValues("X-ScaleShop-Version").Single());
            }

            if (TestStorage.IsPostgres)
            {
                // The instance seeded this cluster's own PostgreSQL catalog, not a SQLite file in the state folder.
                await using var storage = ClusterStorage.Open(TestStorage.Settings(dataDirectory));
                await using var catalog = await storage.GetRequiredService<IDatabaseRouter>().OpenCatalogAsync(DataIntent.Write, ct);
                Assert.Equal(ClusterProcess.Products, await catalog.ExecuteScalarAsync<long>("SELECT count(*) FROM products"));
            }

            watch.Restart();
            var down = await CliAsync(["cluster", "down", "--state", state], environment, TimeSpan.FromMinutes(2), ct);
            var downTook = watch.Elapsed;
            output.WriteLine($"cluster up: {upTook.TotalSeconds:0.0} s; cluster down: {downTook.TotalSeconds:0.0} s; {children.Count} children + the controller (pid {controller.Pid})");
            output.WriteLine($"--- up\n{up.Output}\n--- down\n{down.Output}");
            Assert.True(down.ExitCode == 0, down.Output);
            Assert.All(started, pid => Assert.False(ChildProcess.IsAlive(pid), $"process {pid} is still running"));
            Assert.Empty(ProcessLeaks.Mentioning(state));
            Assert.Null(ControllerRecord.Read(state));

            var after = await CliAsync(["cluster", "status", "--state", state], environment, TimeSpan.FromMinutes(1), ct);
            Assert.Equal(1, after.ExitCode);
            Assert.Contains("No cluster runs", after.Output, StringComparison.Ordinal);
        }
        finally
        {
            // Whatever this test started and a failure left behind: only those pids.
            foreach (var pid in started.Where(ChildProcess.IsAlive))
            {
                try
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill(entireProcessTree: true);
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
                {
                    // gone meanwhile
                }
            }

            await TestStorage.DeleteAsync(dataDirectory); // on PostgreSQL its databases, streams and keys
            if (Environment.GetEnvironmentVariable("KEEP_CLUSTER_STATE") != "1" && Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    /// <summary>
    /// A controller SIGKILLed leaves its children running (they are not in its lifetime). They are in the state
    /// folder's processes.json, so <c>cluster down</c> says so (and fails) and <c>cluster down --force</c> stops them.
    /// </summary>
    [Fact]
    public async Task Cluster_down_force_stops_the_processes_a_killed_controller_left_running()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterProcess.StartAsync(1, new Dictionary<string, string>(), ct);
        var children = await cluster.ChildPidsAsync(ct);
        Assert.Equal(4, children.Count);
        Assert.All(children, pid => Assert.Contains(ProcessLedger.Read(cluster.State), p => p.Pid == pid));

        using (var controller = Process.GetProcessById(cluster.Pid))
        {
            controller.Kill(entireProcessTree: false);
            await controller.WaitForExitAsync(ct);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.All(children, pid => Assert.True(ChildProcess.IsAlive(pid), $"child {pid} died with the controller: nothing left to test"));
        var environment = new Dictionary<string, string> { ["NO_COLOR"] = "1" };

        var plain = await CliAsync(["cluster", "down", "--state", cluster.State], environment, TimeSpan.FromMinutes(1), ct);
        output.WriteLine($"--- down\n{plain.Output}");
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("--force", plain.Output, StringComparison.Ordinal);

        var watch = Stopwatch.StartNew();
        var forced = await CliAsync(["cluster", "down", "--force", "--grace", "00:00:20", "--state", cluster.State], environment, TimeSpan.FromMinutes(1), ct);
        output.WriteLine($"--- down --force ({watch.Elapsed.TotalSeconds:0.0} s)\n{forced.Output}");
        Assert.True(forced.ExitCode == 0, forced.Output);
        Assert.All(children, pid => Assert.False(ChildProcess.IsAlive(pid), $"process {pid} is still running"));
        Assert.Empty(ProcessLeaks.Mentioning(cluster.State));
        Assert.Empty(ProcessLedger.Read(cluster.State));
        Assert.Null(ControllerRecord.Read(cluster.State));
    }

    /// <summary>The CLI's build output with <paramref name="arguments"/>; killed (with its children) after <paramref name="timeout"/>.</summary>
    private static async Task<(int ExitCode, string Output)> CliAsync(
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cli = Path.Combine(RepositoryRoot.Find(), "src", "ScaleShop.Cli", "bin", Configuration, "net10.0", "scaleshop.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var text = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, line) => { lock (gate) { text.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (gate) { text.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scaleshop {string.Join(' ', arguments)} did not finish in {timeout}:\n{text}");
        }

        process.WaitForExit(); // the output's last lines
        lock (gate)
        {
            return (process.ExitCode, text.ToString());
        }
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
}
