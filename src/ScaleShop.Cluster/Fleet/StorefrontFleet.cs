using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Gateway;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Processes;
using ScaleShop.Cluster.Versions;

namespace ScaleShop.Cluster.Fleet;

/// <summary>
/// The storefront instances: starting one of a version (on a free port, until ready), putting it in the gateway,
/// and retiring one the way that loses no request — the gateway drains it (no new requests, those in flight
/// finish), it leaves the gateway, then it gets SIGTERM and its own graceful shutdown runs.
/// </summary>
public sealed class StorefrontFleet(
    IOptions<ClusterOptions> options, ClusterEnvironment environment, VersionStore versions, GatewayClient gateway, ProcessLedger ledger, ILogger<StorefrontFleet> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<StorefrontInstance> _instances = [];
    private readonly HttpClient _probe = new() { Timeout = TimeSpan.FromSeconds(5) };
    private int _sequence;

    public IReadOnlyList<StorefrontInstance> Instances
    {
        get
        {
            lock (_lock)
            {
                return _instances.ToList();
            }
        }
    }

    /// <summary>Instances of a version that take traffic (in the gateway, weight above zero).</summary>
    public IReadOnlyList<StorefrontInstance> Serving(string version) =>
        Instances.Where(i => i.Version == version && i.State == InstanceState.Serving && i.Weight > 0).ToList();

    /// <summary>Starts an instance of <paramref name="version"/> and waits until it is ready; the gateway does not know it yet.</summary>
    public async Task<StorefrontInstance> StartAsync(string version, CancellationToken cancellationToken)
    {
        var cluster = options.Value;
        var manifest = versions.Manifest(version);
        var id = $"sf-{Interlocked.Increment(ref _sequence)}-{version}";
        var address = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        var process = ChildProcess.Start(id, versions.AssemblyOf(version),
            environment.ForStorefront(id, version, address, manifest.Environment, versions.MigrationsOf(version)), Path.Combine(cluster.LogsDirectory, id + ".log"), ledger);
        var instance = new StorefrontInstance(id, version, address, process);
        lock (_lock)
        {
            _instances.Add(instance);
        }

        logger.LogInformation("Started {Instance} ({Version}) on {Address}, pid {Pid}", id, version, address, process.Id);
        try
        {
            await WaitReadyAsync(instance, cancellationToken);
        }
        catch
        {
            await StopProcessAsync(instance, CancellationToken.None);
            throw;
        }

        await WarmUpAsync(instance, cluster.WarmUpRequests, cancellationToken);
        logger.LogInformation("{Instance} is ready and warm after {Elapsed:0.0} s", id, (DateTimeOffset.UtcNow - instance.StartedAt).TotalSeconds);
        return instance;
    }

    /// <summary>Puts an instance in the gateway (or changes its weight): from now it takes its share.</summary>
    public async Task SetWeightAsync(StorefrontInstance instance, int weight, CancellationToken cancellationToken)
    {
        await gateway.PutAsync(instance.Id, instance.Address, instance.Version, weight, cancellationToken);
        instance.Weight = weight;
        instance.State = InstanceState.Serving;
    }

    /// <summary>Drain at the gateway, wait for its in-flight requests, remove it, then SIGTERM (SIGKILL after the stop timeout).</summary>
    public async Task RetireAsync(StorefrontInstance instance, CancellationToken cancellationToken)
    {
        var cluster = options.Value;
        instance.State = InstanceState.Draining;
        var started = DateTimeOffset.UtcNow;
        try
        {
            await gateway.DrainAsync(instance.Id, cancellationToken);
            await WaitDrainedAsync(instance, cluster.GatewayDrainTimeout, cancellationToken);
            await gateway.RemoveAsync(instance.Id, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            // The gateway is gone (cluster down): there is nothing to drain from.
            logger.LogWarning("{Instance}: the gateway did not answer while draining ({Message}); stopping it anyway", instance.Id, exception.Message);
        }

        await StopProcessAsync(instance, cancellationToken);
        logger.LogInformation("Retired {Instance} in {Elapsed:0.0} s", instance.Id, (DateTimeOffset.UtcNow - started).TotalSeconds);
    }

    /// <summary>Every instance at once, as at <c>cluster down</c> (the gateway stops after them).</summary>
    public Task RetireAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Instances.Where(i => i.State != InstanceState.Stopped).Select(i => RetireAsync(i, cancellationToken)));

    /// <summary>An instance whose process died: out of the gateway and the list (the caller decides whether to replace it).</summary>
    public async Task ForgetAsync(StorefrontInstance instance, CancellationToken cancellationToken)
    {
        try
        {
            await gateway.RemoveAsync(instance.Id, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // the gateway is gone too
        }

        await StopProcessAsync(instance, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var instance in Instances)
        {
            instance.Process.Dispose();
        }

        _probe.Dispose();
    }

    private async Task StopProcessAsync(StorefrontInstance instance, CancellationToken cancellationToken)
    {
        await instance.Process.StopAsync(options.Value.StopTimeout, cancellationToken);
        instance.State = InstanceState.Stopped;
        instance.Weight = 0;
        lock (_lock)
        {
            _instances.Remove(instance);
        }

        instance.Process.Dispose();
    }

    private async Task WaitReadyAsync(StorefrontInstance instance, CancellationToken cancellationToken)
    {
        var cluster = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(cluster.ReadyTimeout);
        using var timer = new PeriodicTimer(cluster.ProbeInterval);
        try
        {
            do
            {
                if (instance.Process.HasExited)
                {
                    throw new InstanceStartException($"{instance.Id} exited with {instance.Process.ExitCode} while starting (log: {instance.Process.LogPath}).");
                }

                if (await IsReadyAsync(instance.Address, deadline.Token))
                {
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstanceStartException($"{instance.Id} was not ready within {cluster.ReadyTimeout} (log: {instance.Process.LogPath}).");
        }
    }

    private static readonly string[] WarmUpPaths =
    [
        "api/v1/categories", "api/v1/products?limit=20&categoryId={0}", "api/v1/products/{0}", "api/v1/search?q=wireless", "api/v1/products?sort=popular",
    ];

    /// <summary>Reads the paths clients use most, a few at a time, so the instance's first clients meet a warm process.</summary>
    private async Task WarmUpAsync(StorefrontInstance instance, int requests, CancellationToken cancellationToken)
    {
        const int Parallel = 4;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, WarmUpPaths[i % WarmUpPaths.Length], 1 + (i / WarmUpPaths.Length % 10));
                try
                {
                    using var response = await _probe.GetAsync(new Uri(instance.Address, path), cancellationToken);
                }
                catch (HttpRequestException)
                {
                    // a warm-up read that failed is only a colder start
                }
            }
        }));
    }

    private async Task<bool> IsReadyAsync(Uri address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _probe.GetAsync(new Uri(address, "health/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task WaitDrainedAsync(StorefrontInstance instance, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var timer = new PeriodicTimer(options.Value.ProbeInterval);
        try
        {
            do
            {
                var destination = (await gateway.DestinationsAsync(deadline.Token)).FirstOrDefault(d => d.Id == instance.Id);
                if (destination is null || destination.InFlight == 0)
                {
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Instance} still had requests in flight after {Timeout}; stopping it anyway", instance.Id, timeout);
        }
    }
}

public sealed class InstanceStartException(string message) : Exception(message);
