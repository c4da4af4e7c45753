using System.Diagnostics.Metrics;

namespace ScaleShop.Storefront.Observability;

/// <summary>
/// A <see cref="MeterListener"/> that listens for as long as the host runs, from start-up: the base of the
/// in-process readers of this host's own instruments (the SLO windows, the dashboard's readings).
/// </summary>
public abstract class HostedMeterListener : IHostedService, IDisposable
{
    protected MeterListener Listener { get; } = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Listener.Dispose();
        }
    }
}
