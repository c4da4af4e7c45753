using Microsoft.Extensions.Caching.Distributed;
using Polly;
using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Caching;

/// <summary>
/// Redis as a dependency named <c>redis</c>: the chaos strategies in front of every call. Timeouts and the circuit
/// breaker are FusionCache's own (soft/hard timeouts, <c>DistributedCacheCircuitBreakerDuration</c>), whose state
/// changes are reported to <see cref="CircuitStates"/>; a second breaker here would only hide the first.
/// </summary>
public sealed class ChaosDistributedCache(IDistributedCache inner, ChaosSwitchboard chaos) : IDistributedCache
{
    public const string DependencyName = "redis";

    private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder { Name = DependencyName }.AddDependencyChaos(DependencyName, chaos).Build();

    public byte[]? Get(string key) => _pipeline.Execute(() => inner.Get(key));

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        await _pipeline.ExecuteAsync(async ct => await inner.GetAsync(key, ct), token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _pipeline.Execute(() => inner.Set(key, value, options));

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await _pipeline.ExecuteAsync(async ct => await inner.SetAsync(key, value, options, ct), token);

    public void Refresh(string key) => _pipeline.Execute(() => inner.Refresh(key));

    public async Task RefreshAsync(string key, CancellationToken token = default) =>
        await _pipeline.ExecuteAsync(async ct => await inner.RefreshAsync(key, ct), token);

    public void Remove(string key) => _pipeline.Execute(() => inner.Remove(key));

    public async Task RemoveAsync(string key, CancellationToken token = default) =>
        await _pipeline.ExecuteAsync(async ct => await inner.RemoveAsync(key, ct), token);
}
