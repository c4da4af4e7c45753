namespace ScaleShop.Storefront.Common;

/// <summary>
/// The loop of a background job that runs every interval until shutdown: one failed pass is logged and the next
/// pass tries again, so a transient outage of a dependency never stops the job for good.
/// </summary>
public static class PeriodicWork
{
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, ILogger logger, string job, Func<CancellationToken, Task> pass, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pass(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(exception, "{Job} failed; retrying next interval", job);
            }
        }
    }
}
