using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using ScaleShop.Cluster.Control;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Processes;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Cluster.Versions;
using ScaleShop.Testing;

namespace ScaleShop.Cluster.Tests;

/// <summary>
/// A real controller process (the build output of ScaleShop.Cluster) on a temp state folder and free ports, with
/// versions that are copies of the storefront's build output differing only in release.json.
/// </summary>
public sealed class ClusterProcess : IAsyncDisposable
{
    public const int Products = 300;
    public const int Categories = 10;
    public const int Users = 100;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Process _process;
    private readonly HttpClient _control;

    private ClusterProcess(string state, Process process, HttpClient control, Uri publicUrl)
    {
        State = state;
        _process = process;
        _control = control;
        PublicUrl = publicUrl;
        Versions = new VersionStore(Path.Combine(state, "versions"));
    }

    public string State { get; }

    public Uri PublicUrl { get; }

    /// <summary>The storage its storefront instances run on: the state folder's SQLite files, or its own PostgreSQL databases.</summary>
    public Dictionary<string, string?> StorageSettings => TestStorage.Settings(TestStorage.IsPostgres ? DataDirectoryOf(State) : Path.Combine(State, "data"));

    public VersionStore Versions { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>A version of the storefront's current build, with <paramref name="environment"/> as its release settings.</summary>
    public static ReleaseManifest Publish(VersionStore versions, string version, IReadOnlyDictionary<string, string>? environment = null) =>
        versions.PublishFrom(version, Build("ScaleShop.Storefront"), environment ?? new Dictionary<string, string>());

    public ReleaseManifest Publish(string version, IReadOnlyDictionary<string, string>? environment = null) => Publish(Versions, version, environment);

    // On PostgreSQL this folder's name is the prefix of the cluster's databases, NATS streams and Redis keys, as it is for
    // every other fixture, so it must be as unique as the state folder: a fixed "data" gave every cluster the same
    // databases, and a test's own cluster dropped them on disposal under the shared cluster's feet (its v1 then
    // answered 503 "database t_data_catalog does not exist" and every deploy after it was refused on the error budget).
    private static string DataDirectoryOf(string state) => Path.Combine(state, Path.GetFileName(state));

    public static async Task<ClusterProcess> StartAsync(int instances, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var state = Path.Combine(Path.GetTempPath(), "scaleshop-cluster-tests", Guid.NewGuid().ToString("N"));
        Publish(new VersionStore(Path.Combine(state, "versions")), "v1");

        // The objectives' availability stays as it is, so the error budget gate judges real errors; their latency
        // thresholds (100–300 ms) are for the production machine, and a 2-core box running a dozen processes under
        // load blows them by itself, which would make every deploy refuse on a latency budget.
        var objectives = Path.Combine(state, "objectives.json");
        await File.WriteAllTextAsync(objectives, System.Text.RegularExpressions.Regex.Replace(
            await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Find(), "load", "objectives.json"), cancellationToken),
            "\"thresholdMs\":\\s*\\d+", "\"thresholdMs\": 10000"), cancellationToken);
        var publicUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        var controlUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        var environment = new Dictionary<string, string>
        {
            ["Cluster__StateDirectory"] = state,
            ["Cluster__ControlUrl"] = controlUrl.ToString(),
            ["Cluster__PublicUrl"] = publicUrl.ToString(),
            ["Cluster__GatewayAdminUrl"] = $"http://127.0.0.1:{FreePorts.Next()}/",
            ["Cluster__Instances"] = instances.ToString(CultureInfo.InvariantCulture),
            ["Cluster__InitialVersion"] = "v1",
            ["Cluster__StorefrontEnvironment__Seed__Products"] = Products.ToString(CultureInfo.InvariantCulture),
            ["Cluster__StorefrontEnvironment__Seed__Categories"] = Categories.ToString(CultureInfo.InvariantCulture),
            ["Cluster__StorefrontEnvironment__Seed__Users"] = Users.ToString(CultureInfo.InvariantCulture),
            // Every client of the gateway arrives from 127.0.0.1: per-address limits are the storefront's own tests' business.
            ["Cluster__StorefrontEnvironment__Protection__AnonymousRequestsPerSecond"] = "1000000",
            ["Cluster__StorefrontEnvironment__Protection__AnonymousBurst"] = "1000000",
            ["Cluster__StorefrontEnvironment__Anomalies__DetectionEnabled"] = "false",
            ["Cluster__StorefrontEnvironment__Logging__LogLevel__Default"] = "Warning",
            ["Cluster__StorefrontEnvironment__Slo__ObjectivesPath"] = objectives,
            ["Logging__LogLevel__Default"] = "Information",
        };
        if (TestStorage.IsPostgres)
        {
            // The PostgreSQL pass runs the cluster on the production topology: the instances share fresh databases
            // of their own on the shards and replica, Redis as cache backplane and NATS JetStream as the bus.
            environment["Cluster__Topology"] = "Postgres";
            foreach (var (key, value) in TestStorage.Settings(DataDirectoryOf(state)))
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
            }
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var start = new ProcessStartInfo("dotnet", [Build("ScaleShop.Cluster")]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.Combine(state, "logs"));
        var log = new StreamWriter(Path.Combine(state, "logs", "controller.log")) { AutoFlush = true };
        var process = Process.Start(start)!;
        var gate = new Lock();
        process.OutputDataReceived += (_, line) => { lock (gate) { if (line.Data is not null) { log.WriteLine(line.Data); } } };
        process.ErrorDataReceived += (_, line) => { lock (gate) { if (line.Data is not null) { log.WriteLine(line.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var control = new HttpClient { BaseAddress = controlUrl, Timeout = TimeSpan.FromMinutes(2) };
        var cluster = new ClusterProcess(state, process, control, publicUrl);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            Assert.False(process.HasExited, $"The controller exited while starting; see {state}/logs/controller.log");
            Assert.True(DateTimeOffset.UtcNow < deadline, "The cluster did not start in 3 minutes.");
            var keyFile = Path.Combine(state, "control.key");
            if (File.Exists(keyFile) && control.DefaultRequestHeaders.Authorization is null)
            {
                control.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(keyFile).Trim());
            }

            if (control.DefaultRequestHeaders.Authorization is not null && await cluster.TryStatusAsync(cancellationToken) is { } status)
            {
                Assert.NotEqual("Failed", status.Phase);
                if (status.Phase == "Running")
                {
                    return cluster;
                }
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    public async Task<ClusterStatus> StatusAsync(CancellationToken cancellationToken) =>
        (await _control.GetFromJsonAsync<ClusterStatus>("api/cluster", Json, cancellationToken))!;

    public async Task<HttpResponseMessage> PostAsync(string path, object? body, CancellationToken cancellationToken) =>
        await _control.PostAsJsonAsync(path, body, Json, cancellationToken);

    public async Task<HttpResponseMessage> PutAsync(string path, object body, CancellationToken cancellationToken) =>
        await _control.PutAsJsonAsync(path, body, Json, cancellationToken);

    /// <summary>Starts a deploy and waits until it is finished; returns the rollout.</summary>
    public async Task<RolloutView> DeployAsync(string version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await StartDeployAsync(version, cancellationToken);
        return await WaitForRolloutAsync(timeout, cancellationToken);
    }

    /// <summary>Starts a deploy (202) without waiting for it.</summary>
    public async Task StartDeployAsync(string version, CancellationToken cancellationToken)
    {
        using var response = await PostAsync("api/cluster/deployments", new DeployRequest(version), cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Waits until the current rollout is finished; returns it.</summary>
    public async Task<RolloutView> WaitForRolloutAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var rollout = (await _control.GetFromJsonAsync<RolloutView>("api/cluster/deployments/current", Json, cancellationToken))!;
            if (rollout.Finished)
            {
                return rollout;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"The rollout did not finish in {timeout}: {rollout.Phase} {rollout.Message}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Polls the status until <paramref name="found"/> picks something from it; fails after <paramref name="timeout"/>.</summary>
    public async Task<T> WaitForAsync<T>(Func<ClusterStatus, T?> found, TimeSpan timeout, string what, CancellationToken cancellationToken)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var status = await StatusAsync(cancellationToken);
            if (found(status) is { } result)
            {
                return result;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Not seen within {timeout}: {what}. Instances: {string.Join("; ", status.Instances)}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Every process the controller started and still knows of.</summary>
    public async Task<IReadOnlyList<int>> ChildPidsAsync(CancellationToken cancellationToken)
    {
        var status = await StatusAsync(cancellationToken);
        return status.Instances.Select(i => i.Pid).Concat(status.FixedParts.Where(p => p.Pid is not null).Select(p => p.Pid!.Value)).ToList();
    }

    /// <summary><c>cluster down</c>: the control API's shutdown, then the controller's exit.</summary>
    public async Task<TimeSpan> DownAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        if (!_process.HasExited)
        {
            try
            {
                (await PostAsync("api/cluster/shutdown", null, CancellationToken.None)).Dispose();
            }
            catch (HttpRequestException)
            {
                // already stopping
            }

            using var wait = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        return watch.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await DownAsync(TimeSpan.FromMinutes(2));
        _control.Dispose();
        _process.Dispose();
        await TestStorage.DeleteAsync(DataDirectoryOf(State));
        try
        {
            // KEEP_CLUSTER_STATE=1 keeps the state folder (every process's log) for a post-mortem.
            if (Environment.GetEnvironmentVariable("KEEP_CLUSTER_STATE") is null)
            {
                Directory.Delete(State, recursive: true);
            }
        }
        catch (IOException)
        {
            // a file still held: the temp folder is cleaned later
        }
    }

    private async Task<ClusterStatus?> TryStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await StatusAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A project's build output in this test assembly's configuration.</summary>
    public static string Build(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var folder = Path.Combine(RepositoryRoot.Find(), "src", project, "bin", configuration, "net10.0");
        return project == "ScaleShop.Storefront" ? folder : Path.Combine(folder, project + ".dll");
    }
}
