using MathNet.Numerics.Distributions;
using ScaleShop.Deployment.Canary;

namespace ScaleShop.Deployment.Tests;

/// <summary>Seeded synthetic traffic: binomial failures and log-normal latencies, the shape real request latencies have.</summary>
internal static class Traffic
{
    // 5 ms buckets up to 1.5 s: fine enough that a shift of a few ms moves requests between buckets.
    public static readonly IReadOnlyList<double> Bounds = Enumerable.Range(1, 300).Select(i => i * 5.0).ToArray();

    public const double MedianMs = 40;
    public const double Spread = 0.5;

    public static TrafficWindow Window(Random random, long requests, double errorRatio, double shiftMs = 0) =>
        new(requests, Binomial.Sample(random, errorRatio, (int)requests),
            LatencyBuckets.FromSamples(Bounds, Enumerable.Range(0, (int)requests).Select(_ => LogNormal.Sample(random, Math.Log(MedianMs), Spread) + shiftMs).ToList()));

    public static TrafficWindow Fixed(long requests, long failures, double latencyMs = MedianMs) =>
        new(requests, failures, LatencyBuckets.FromSamples(Bounds, Enumerable.Repeat(latencyMs, (int)requests)));
}
