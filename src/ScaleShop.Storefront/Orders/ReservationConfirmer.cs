using System.Threading.Channels;
using Microsoft.Extensions.Options;
using ScaleShop.Storefront.Catalog;

namespace ScaleShop.Storefront.Orders;

/// <summary>
/// Drops the stock reservations of written orders in batches, off the request path. The catalog is the one
/// database every order writes to, so each commit saved there is checkout throughput for the whole shop:
/// a burst of orders costs one confirming commit instead of one each. Nothing depends on a confirmation
/// happening soon; if this process dies with tokens queued, the sweeper confirms them (their orders exist).
/// </summary>
public sealed class ReservationConfirmer(StockReservations stock, IOptions<OrdersOptions> options, ILogger<ReservationConfirmer> logger) : BackgroundService
{
    private readonly Channel<string> _pending = Channel.CreateBounded<string>(new BoundedChannelOptions(options.Value.ConfirmQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Queues a confirmation; false when the queue is full (the caller then confirms itself).</summary>
    public bool TryEnqueue(string claimToken) => _pending.Writer.TryWrite(claimToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>(options.Value.ConfirmBatchSize);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                await ConfirmAvailableAsync(batch, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: confirm what is queued rather than leave it all to the sweeper.
            await ConfirmAvailableAsync(batch, CancellationToken.None);
        }
    }

    private async Task ConfirmAvailableAsync(List<string> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < options.Value.ConfirmBatchSize && _pending.Reader.TryRead(out var token))
            {
                batch.Add(token);
            }

            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await stock.ConfirmAsync(batch, cancellationToken);
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Confirming {Count} stock reservations failed; the sweeper will confirm them", batch.Count);
            }
        }
    }
}
