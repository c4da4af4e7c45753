namespace ScaleShop.Anomalies.Detection;

/// <summary>
/// Calibrates a raw score into a probability per series, as Numenta's anomaly likelihood does (Ahmad et al. 2017):
/// the mean of the last few raw scores is compared with the distribution of that mean over a long horizon (here an
/// exponentially weighted Gaussian, so memory stays constant instead of Numenta's 8,640 stored scores); the Gaussian
/// tail beyond it, on a log scale, is the anomaly score in [0, 1]. A series whose raw score is always high thus stops
/// alerting, and one whose raw score is always tiny alerts when it rises a little.
/// </summary>
internal sealed class AnomalyLikelihood(LikelihoodOptions options)
{
    // Numenta's floors, for raw scores in [0, 1]: a near-constant raw score must not make the Gaussian a spike.
    private const double MinMean = 0.03;
    private const double MinVariance = 0.0003;

    // log(tail) / log(1e-10): tail 1e-10 and below reads 1, tail 1 reads 0 (Numenta's computeLogLikelihood).
    private const double LogFloor = 1e-10;

    private readonly LikelihoodOptions _options = options;
    private readonly RingBuffer _recent = new(options.ShortWindow);
    private Gaussian _recentMeans;
    private Gaussian _points;
    private int _seen;

    public int BufferLength => _recent.Capacity;

    /// <summary>The log-scaled tail probability of the recent mean raw score; 0 while the series is still being learnt.</summary>
    public double Update(double raw)
    {
        _recent.Add(raw);
        var shortMean = _recent.Mean();
        _seen++;

        double score = 0;
        if (_seen > _options.LearningPoints)
        {
            // The recent mean catches a sustained rise; the point alone, against the points' own distribution, a
            // single spike that ten points of averaging would dilute below notice.
            var tail = Math.Min(_recentMeans.Tail(shortMean), _options.PointTail ? _points.Tail(raw) : 1.0);
            score = Math.Log(tail + LogFloor) / Math.Log(LogFloor);
        }

        var weight = Math.Max(1.0 / _seen, 1.0 / _options.LongWindow);
        _recentMeans.Add(shortMean, weight);
        _points.Add(raw, weight);
        return Math.Clamp(score, 0, 1);
    }

    /// <summary>An exponentially weighted Gaussian: two numbers, whatever the horizon.</summary>
    private struct Gaussian
    {
        private double _mean;
        private double _variance;

        public void Add(double value, double weight)
        {
            var delta = value - _mean;
            _mean += weight * delta;
            _variance = (1 - weight) * (_variance + (weight * delta * delta));
        }

        public readonly double Tail(double value) =>
            GaussianTail((value - Math.Max(_mean, MinMean)) / Math.Sqrt(Math.Max(_variance, MinVariance)));
    }

    private static double GaussianTail(double z) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(z / Math.Sqrt(2));
}

/// <summary>ShortWindow: raw scores averaged for the recent mean (Numenta: 10). LongWindow: horizon of the distributions. LearningPoints: points before any score. PointTail: also test the newest raw score alone.</summary>
public sealed record LikelihoodOptions(int ShortWindow = 10, int LongWindow = 4000, int LearningPoints = 200, bool PointTail = true);
