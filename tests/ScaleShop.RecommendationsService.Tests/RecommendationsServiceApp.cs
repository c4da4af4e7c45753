using ScaleShop.Testing;

namespace ScaleShop.RecommendationsService.Tests;

/// <summary>The shared recommendations service host as an xunit fixture; each test uses product and user ids of its own.</summary>
public sealed class RecommendationsServiceApp : RecommendationsHost, IAsyncLifetime
{
    private static long _nextId = 1_000;

    /// <summary>A block of ids (products, users) no other test in this process uses.</summary>
    public static long TakeIds(int count) => Interlocked.Add(ref _nextId, count) - count;
}
