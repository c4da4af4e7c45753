using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Gateway;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Deployment.Autoscaling;

namespace ScaleShop.Cluster.Autoscaling;

public sealed record AutoscaleView(bool Enabled, double? ObservedPerSecond, int? Current, int? Desired, string? Reason, DateTimeOffset? At);

/// <summary>
/// Every interval: the gateway's requests per second since the last look, the HPA rule's recommendation for the
/// instances serving the current version, and a scale step when it differs (new instances join when ready, removed
/// ones drain first). It stands aside while a rollout (or any other change) holds the fleet.
/// </summary>
public sealed class AutoscaleLoop(
    IOptions<AutoscaleLoopOptions> options, IOptions<AutoscaleOptions> rule, ClusterController controller, GatewayClient gateway,
    TimeProvider time, ILogger<AutoscaleLoop> logger) : BackgroundService
{
    private readonly Autoscaler _autoscaler = new(rule.Value, time);
    private volatile bool _enabled = options.Value.Enabled;
    private AutoscaleView _last = new(options.Value.Enabled, null, null, null, null, null);

    public bool Enabled
    {
        get => _enabled;
        set
        {
            _enabled = value;
            _last = _last with { Enabled = value };
            logger.LogInformation("Autoscaling {State}", value ? "on" : "off");
        }
    }

    public AutoscaleView View => _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        (long Requests, long At)? previous = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (controller.Phase != ClusterPhase.Running)
                {
                    continue;
                }

                var traffic = await gateway.TrafficAsync(stoppingToken);
                var now = time.GetTimestamp();
                var last = previous;
                previous = (traffic.TotalRequests, now);
                if (!_enabled || last is not { } before || controller.RolloutRunning)
                {
                    continue;
                }

                var seconds = time.GetElapsedTime(before.At, now).TotalSeconds;
                var observed = (traffic.TotalRequests - before.Requests) / Math.Max(seconds, double.Epsilon);
                var current = controller.ServingCount;
                var decision = _autoscaler.Recommend(current, observed);
                _last = new AutoscaleView(true, observed, decision.Current, decision.Desired, decision.Reason, time.GetUtcNow());
                if (decision.Desired == decision.Current)
                {
                    continue;
                }

                logger.LogInformation("Autoscaling {Current} → {Desired} at {Observed:0.0} requests/s: {Reason}", decision.Current, decision.Desired, observed, decision.Reason);
                if (await controller.TryScaleAsync(decision.Desired, stoppingToken))
                {
                    _autoscaler.ScaledTo(decision.Desired);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Autoscaler: this round failed ({Message}); trying again next interval", exception.Message);
            }
        }
    }
}
