using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Chaos;

/// <summary>The points between two steps of a checkout where a process can die.</summary>
public enum CheckoutStep
{
    /// <summary>The Idempotency-Key is claimed; no stock taken yet.</summary>
    KeyClaimed,

    /// <summary>Stock is reserved in the catalog; the order is not written.</summary>
    StockReserved,

    /// <summary>The order is written pending_payment; the provider has not been called.</summary>
    OrderWritten,

    /// <summary>The provider answered (charged, or declined); the order does not know yet.</summary>
    PaymentAnswered,

    /// <summary>The order is cancelled; its stock and payment are not yet undone.</summary>
    OrderCancelled,
}

/// <summary>Thrown where a crash was injected. Code that cleans up after failures lets it through, as a dead process would.</summary>
public sealed class SimulatedCrashException(CheckoutStep step) : Exception($"Chaos: simulated crash after step {step}.")
{
    public CheckoutStep Step { get; } = step;
}

/// <summary>
/// Crash injection between the steps of a checkout, for chaos experiments and the invariant tests: arm a step
/// and the next checkout(s) passing it stop there as if the process had died — no compensation runs, leases
/// and reconciliation must finish the job. Arming is refused and nothing fires while chaos is disabled, even
/// if a step was armed before it was switched off.
/// </summary>
public sealed class CheckoutFaults(IOptionsMonitor<ChaosOptions> options, ILogger<CheckoutFaults> logger)
{
    private readonly ConcurrentDictionary<CheckoutStep, int> _armed = new();
    private volatile bool _anyArmed;

    public bool Enabled => options.CurrentValue.Enabled;

    /// <summary>Makes the next <paramref name="times"/> checkouts passing <paramref name="step"/> crash there.</summary>
    public void Arm(CheckoutStep step, int times)
    {
        if (!Enabled)
        {
            throw new InvalidOperationException("Chaos is disabled (Chaos:Enabled=false); nothing can be armed.");
        }

        _armed[step] = times;
        _anyArmed = true;
        logger.LogWarning("Chaos: the next {Times} checkouts crash after {Step}", times, step);
    }

    public void DisarmAll()
    {
        _armed.Clear();
        _anyArmed = false;
    }

    public IReadOnlyDictionary<CheckoutStep, int> Armed => _armed.Where(a => a.Value > 0).ToDictionary();

    /// <summary>Called by checkout after each step: crashes here if this step is armed (and chaos is on).</summary>
    public void After(CheckoutStep step)
    {
        if (!_anyArmed || !Enabled)
        {
            return;
        }

        while (_armed.TryGetValue(step, out var left) && left > 0)
        {
            if (_armed.TryUpdate(step, left - 1, left))
            {
                throw new SimulatedCrashException(step);
            }
        }
    }
}
