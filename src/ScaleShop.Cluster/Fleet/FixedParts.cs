using System.Globalization;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Gateway;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Processes;

namespace ScaleShop.Cluster.Fleet;

/// <summary>One of the parts that are not scaled or versioned by the controller: the gateway, the payment provider, the recommendations service.</summary>
public sealed record FixedPartView(string Name, string Address, int? Pid, bool Running, int Restarts);

/// <summary>
/// Starts the gateway, the payment provider and the recommendations service from the repository's build output,
/// waits until each answers, and starts again one that crashed (on the same port: the instances keep its address).
/// </summary>
public sealed class FixedParts(
    IOptions<ClusterOptions> options, ClusterSecrets secrets, ClusterEnvironment environment, GatewayClient gateway, ProcessLedger ledger, ILogger<FixedParts> logger) : IDisposable
{
    public const string GatewayName = "gateway";
    public const string PaymentsName = "payment-provider";
    public const string RecommendationsName = "recommendations";

    private readonly Dictionary<string, Part> _parts = new(StringComparer.Ordinal);
    private readonly HttpClient _probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    public IReadOnlyList<FixedPartView> View() =>
        _parts.Values.Select(p => new FixedPartView(p.Name, p.Address.ToString(), p.Process?.Id, p.Process is { HasExited: false }, p.Restarts)).ToList();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var cluster = options.Value;
        var drainNow = TimeSpan.Zero.ToString("c", CultureInfo.InvariantCulture);
        var payments = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        var recommendations = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        _parts[PaymentsName] = new Part(PaymentsName, "ScaleShop.PaymentProvider", payments, new Uri(payments, "health/ready"), new()
        {
            ["ASPNETCORE_URLS"] = payments.ToString(),
            ["PaymentProvider__DataDirectory"] = Path.Combine(cluster.StateDirectory, "payment-provider"),
            ["Shutdown__DrainDelay"] = drainNow,
        });
        _parts[RecommendationsName] = new Part(RecommendationsName, "ScaleShop.RecommendationsService", recommendations, new Uri(recommendations, "health/ready"), new()
        {
            ["ASPNETCORE_URLS"] = recommendations.ToString(),
            ["Recommendations__DataDirectory"] = Path.Combine(cluster.StateDirectory, "recommendations"),
            ["Shutdown__DrainDelay"] = drainNow,
        });
        _parts[GatewayName] = new Part(GatewayName, "ScaleShop.Gateway", cluster.PublicUrl, null, new()
        {
            ["Gateway__PublicUrl"] = cluster.PublicUrl.ToString(),
            ["Gateway__AdminUrl"] = cluster.GatewayAdminUrl.ToString(),
            ["Gateway__AdminKey"] = secrets.GatewayAdminKey,
            ["Shutdown__DrainDelay"] = drainNow,
        });
        environment.PaymentProvider = payments;
        environment.Recommendations = recommendations;
        await Task.WhenAll(_parts.Values.Select(part => LaunchAsync(part, cancellationToken)));
    }

    /// <summary>Starts again every part whose process exited (called every supervision interval). Returns the restarted names.</summary>
    public async Task<IReadOnlyList<string>> ReviveAsync(CancellationToken cancellationToken)
    {
        var revived = new List<string>();
        foreach (var part in _parts.Values.Where(p => p.Process is { HasExited: true }))
        {
            logger.LogError("{Part} exited with {ExitCode}; starting it again (log: {Log})", part.Name, part.Process!.ExitCode, part.Process.LogPath);
            part.Process.Dispose();
            part.Restarts++;
            await LaunchAsync(part, cancellationToken);
            revived.Add(part.Name);
        }

        return revived;
    }

    /// <summary>SIGTERM to each (SIGKILL after the stop timeout); the gateway last, after the instances behind it are gone.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.StopTimeout;
        await Task.WhenAll(_parts.Values.Where(p => p.Name != GatewayName && p.Process is not null).Select(p => p.Process!.StopAsync(timeout, cancellationToken)));
        if (_parts.GetValueOrDefault(GatewayName)?.Process is { } gatewayProcess)
        {
            await gatewayProcess.StopAsync(timeout, cancellationToken);
        }
    }

    public void Dispose()
    {
        foreach (var part in _parts.Values)
        {
            part.Process?.Dispose();
        }

        _probe.Dispose();
    }

    private async Task LaunchAsync(Part part, CancellationToken cancellationToken)
    {
        var cluster = options.Value;
        part.Process = ChildProcess.Start(part.Name, BuildOutput(part.Project), part.Environment, Path.Combine(cluster.LogsDirectory, part.Name + ".log"), ledger);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(cluster.ReadyTimeout);
        using var timer = new PeriodicTimer(cluster.ProbeInterval);
        try
        {
            do
            {
                if (part.Process.HasExited)
                {
                    throw new InstanceStartException($"{part.Name} exited with {part.Process.ExitCode} while starting (log: {part.Process.LogPath}).");
                }

                if (await IsUpAsync(part, deadline.Token))
                {
                    logger.LogInformation("{Part} is up on {Address}, pid {Pid}", part.Name, part.Address, part.Process.Id);
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstanceStartException($"{part.Name} did not answer within {cluster.ReadyTimeout} (log: {part.Process.LogPath}).");
        }
    }

    private async Task<bool> IsUpAsync(Part part, CancellationToken cancellationToken)
    {
        if (part.Probe is null)
        {
            return await gateway.IsUpAsync(cancellationToken);
        }

        try
        {
            using var response = await _probe.GetAsync(part.Probe, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private string BuildOutput(string project)
    {
        var cluster = options.Value;
        var root = cluster.RepositoryRoot ?? RepositoryRoot.Find();
        return Path.Combine(root, "src", project, "bin", cluster.BuildConfiguration, "net10.0", project + ".dll");
    }

    private sealed class Part(string name, string project, Uri address, Uri? probe, Dictionary<string, string> environment)
    {
        public string Name { get; } = name;

        public string Project { get; } = project;

        public Uri Address { get; } = address;

        /// <summary>Its readiness probe; null for the gateway, which is up when its admin API answers.</summary>
        public Uri? Probe { get; } = probe;

        public Dictionary<string, string> Environment { get; } = environment;

        public ChildProcess? Process { get; set; }

        public int Restarts { get; set; }
    }
}

/// <summary>The repository this binary was built from: the nearest folder above it that holds ScaleShop.slnx.</summary>
public static class RepositoryRoot
{
    public static string Find(string? from = null)
    {
        for (var directory = new DirectoryInfo(from ?? AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ScaleShop.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ScaleShop.slnx above {from ?? AppContext.BaseDirectory}: set Cluster:RepositoryRoot.");
    }
}
