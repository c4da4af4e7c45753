using System.Text.Json;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Rollouts;

namespace ScaleShop.Cluster.Hosting;

/// <summary>Where a running controller is (<c>&lt;state&gt;/controller.json</c>, read by the CLI): where it listens, its pid and the process's start time.</summary>
public sealed record ControllerRecord(int Pid, Uri ControlUrl, Uri PublicUrl, Uri GatewayAdminUrl, DateTimeOffset StartedAt)
{
    public const string FileName = "controller.json";

    /// <summary>
    /// True when <see cref="Pid"/> is still the controller: alive and started when recorded. A killed controller's pid
    /// may be reused; asking only "is the pid alive" would send its shutdown, or a kill, to an unrelated process.
    /// </summary>
    public bool IsRunning() => new Processes.RecordedProcess("controller", Pid, StartedAt.UtcDateTime).IsRunning();

    /// <summary>The record of the current process as the controller (its start time as the operating system keeps it).</summary>
    public static ControllerRecord OfThisProcess(Uri controlUrl, Uri publicUrl, Uri gatewayAdminUrl)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new ControllerRecord(self.Id, controlUrl, publicUrl, gatewayAdminUrl, new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>
    /// Writes the record whole or not at all (a temporary file moved over the old one): the CLI polls it while the
    /// controller starts, and a write in place let it read an empty file (CI: <c>cluster up</c> failed on a JsonException).
    /// </summary>
    public async Task WriteAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(stateDirectory, FileName);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    public static ControllerRecord? Read(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<ControllerRecord>(File.ReadAllText(path)) : null;
    }
}

/// <summary>
/// Brings the cluster up once the control API listens (so <c>cluster status</c> can watch it start), keeps the fixed
/// parts and the instances running (a crashed one is started again, once no rollout or scale step is changing the
/// fleet: see <see cref="ClusterController.TryChangeFleetAsync"/>), and takes everything down when the
/// controller stops — SIGTERM, <c>cluster down</c> or Ctrl-C alike — so no process is left behind.
/// </summary>
public sealed class ClusterLifecycle(
    IOptions<ClusterOptions> options, ClusterController controller, FixedParts parts, StorefrontFleet fleet, Processes.ProcessLedger ledger,
    IHostApplicationLifetime lifetime, ILogger<ClusterLifecycle> logger) : BackgroundService
{
    private string RecordPath => Path.Combine(options.Value.StateDirectory, ControllerRecord.FileName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cluster = options.Value;
        Directory.CreateDirectory(cluster.LogsDirectory);
        await ControllerRecord.OfThisProcess(cluster.ControlUrl, cluster.PublicUrl, cluster.GatewayAdminUrl).WriteAsync(cluster.StateDirectory, stoppingToken);
        try
        {
            await controller.StartAsync(stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Phase Failed says why (cluster status); what did start is stopped now, the controller waits for `cluster down`.
            await controller.StopAsync(stoppingToken);
            return;
        }

        using var timer = new PeriodicTimer(cluster.SuperviseInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await parts.ReviveAsync(stoppingToken);
                await controller.TryChangeFleetAsync(ReplaceCrashedAsync, stoppingToken);
            }
            catch (Exception exception) when (exception is InstanceStartException or HttpRequestException or IOException)
            {
                logger.LogError(exception, "Supervision round failed; trying again");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await controller.StopAsync(cancellationToken);
        ledger.Clear();
        File.Delete(RecordPath);
        logger.LogInformation("Cluster down: every process stopped");
    }

    private async Task ReplaceCrashedAsync(CancellationToken cancellationToken)
    {
        foreach (var crashed in fleet.Instances.Where(i => i.State == InstanceState.Serving && i.Process.HasExited).ToList())
        {
            var weight = crashed.Weight;
            logger.LogError("{Instance} exited with {ExitCode} while serving; replacing it (log: {Log})", crashed.Id, crashed.Process.ExitCode, crashed.Process.LogPath);
            await fleet.ForgetAsync(crashed, cancellationToken);
            if (weight > 0 && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                var replacement = await fleet.StartAsync(crashed.Version, cancellationToken);
                await fleet.SetWeightAsync(replacement, weight, cancellationToken);
            }
        }
    }
}
