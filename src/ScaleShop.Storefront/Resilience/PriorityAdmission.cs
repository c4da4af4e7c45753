using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace ScaleShop.Storefront.Resilience;

/// <summary>
/// Server-wide concurrency limit with priority (load shedding). One counter of requests in flight; a request is
/// admitted only while the count is below its priority's ceiling — low (recommendations) at
/// <see cref="ServiceProtectionOptions.LowPriorityShare"/> of the limit, normal at
/// <see cref="ServiceProtectionOptions.NormalPriorityShare"/>, critical (checkout) at the whole limit — so as load
/// rises recommendations are refused first, browse and search next, checkout last. Refused requests get 503 with
/// Retry-After at once: queueing them would only add latency to an instance that is already behind.
/// </summary>
public sealed class PriorityAdmission
{
    private readonly int[] _ceilings;
    private readonly Counter<long> _shed;
    private int _inFlight;

    public PriorityAdmission(IOptions<ServiceProtectionOptions> options, IMeterFactory meterFactory)
    {
        var limits = options.Value;
        _ceilings = new int[Enum.GetValues<RequestPriority>().Length];
        _ceilings[(int)RequestPriority.Low] = Math.Max(1, (int)(limits.MaxConcurrentRequests * limits.LowPriorityShare));
        _ceilings[(int)RequestPriority.Normal] = Math.Max(1, (int)(limits.MaxConcurrentRequests * limits.NormalPriorityShare));
        _ceilings[(int)RequestPriority.Critical] = limits.MaxConcurrentRequests;
        _ceilings[(int)RequestPriority.Exempt] = int.MaxValue;
        var meter = meterFactory.Create("ScaleShop.Protection");
        _shed = meter.CreateCounter<long>("scaleshop.requests.shed", unit: "{request}", description: "Requests refused with 503 because the instance was at its priority's concurrency ceiling.");
        meter.CreateObservableGauge("scaleshop.requests.in_flight", () => Volatile.Read(ref _inFlight), unit: "{request}", description: "Requests this instance is working on.");
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot if this priority's ceiling allows; false means shed. A taken slot must be given back with <see cref="Leave"/>.</summary>
    public bool TryEnter(RequestPriority priority)
    {
        var ceiling = _ceilings[(int)priority];
        while (true)
        {
            var current = Volatile.Read(ref _inFlight);
            if (current >= ceiling)
            {
                _shed.Add(1, new KeyValuePair<string, object?>("priority", priority.ToString()));
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}
