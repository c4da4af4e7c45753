using ScaleShop.Deployment.Canary;

namespace ScaleShop.Deployment.Tests;

public sealed class WindowTests
{
    private static readonly double[] Bounds = [10, 20, 30];

    [Fact]
    public void Quantiles_interpolate_inside_their_bucket_as_Prometheus_does()
    {
        var buckets = new LatencyBuckets(Bounds, [0, 10, 0, 0]);
        Assert.Equal(15, buckets.Quantile(0.5));
        Assert.Equal(19.9, buckets.Quantile(0.99)!.Value, 9);
        Assert.Equal(5, new LatencyBuckets(Bounds, [10, 0, 0, 0]).Quantile(0.5)); // the first bucket starts at 0 ms
        Assert.Equal(30, new LatencyBuckets(Bounds, [1, 0, 0, 99]).Quantile(0.5)); // overflow: at least the top bound
        Assert.Null(LatencyBuckets.Empty(Bounds).Quantile(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => buckets.Quantile(1.5));
    }

    [Fact]
    public void A_value_on_a_bound_counts_in_that_bound_s_bucket()
    {
        Assert.Equal(new LatencyBuckets(Bounds, [2, 1, 0, 1]), LatencyBuckets.FromSamples(Bounds, [0, 10, 10.5, 31]));
    }

    [Fact]
    public void Malformed_histograms_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new LatencyBuckets(Bounds, [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => new LatencyBuckets([10, 10], [0, 0, 0]));
        Assert.Throws<ArgumentException>(() => new LatencyBuckets(Bounds, [0, -1, 0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficWindow(10, 11, LatencyBuckets.Empty(Bounds)));
    }

    [Fact]
    public void Two_snapshots_give_the_window_between_them()
    {
        var earlier = new TrafficWindow(100, 2, new LatencyBuckets(Bounds, [50, 30, 20, 0]));
        var later = new TrafficWindow(160, 5, new LatencyBuckets(Bounds, [80, 50, 29, 1]));
        var window = later.Minus(earlier);
        Assert.Equal(new TrafficWindow(60, 3, new LatencyBuckets(Bounds, [30, 20, 9, 1])), window);
        Assert.Equal(0.05, window.ErrorRatio, 12);
        Assert.Equal(0, TrafficWindow.Empty(Bounds).ErrorRatio);
    }

    [Fact]
    public void A_counter_that_went_down_means_a_restart_and_all_of_the_later_snapshot_is_new()
    {
        var earlier = new TrafficWindow(1000, 20, new LatencyBuckets(Bounds, [500, 300, 200, 0]));
        var afterRestart = new TrafficWindow(40, 1, new LatencyBuckets(Bounds, [20, 10, 10, 0]));
        Assert.Equal(afterRestart, afterRestart.Minus(earlier));
        Assert.Equal(afterRestart.Latency, afterRestart.Latency.Minus(earlier.Latency));
        Assert.Throws<ArgumentException>(() => afterRestart.Minus(TrafficWindow.Empty([5])));
    }
}
