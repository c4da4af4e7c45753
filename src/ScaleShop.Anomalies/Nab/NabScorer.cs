namespace ScaleShop.Anomalies.Nab;

/// <summary>What a detector scores on a NAB folder under one profile, at the single threshold that serves it best.</summary>
public sealed record NabScore(NabProfile Profile, double Threshold, double RawScore, double NormalizedScore, int Windows, int Detected, int FalsePositives);

/// <summary>
/// NAB's scoring (the rules in the NAB folder's README, as NAB v1.1 applies them): rows in the probation period
/// do not count; the earliest detection in a window earns a sigmoid of how early it came; detections outside
/// windows cost more the nearer they follow a window's end, and the full cost before a file's first window; one
/// threshold per profile is picked by sweeping every distinct score over all files together, and the best total is
/// normalised between the null detector (every window missed) and the perfect one (every window caught at its start).
/// </summary>
public static class NabScorer
{
    private const double ProbationFraction = 0.15;
    private const int MaxProbationRows = 750;

    /// <summary>Nothing scores this high, so sweeping from here starts with every window missed.</summary>
    public const double DetectNothing = 1.1;

    private static readonly double EarliestTruePositive = ScaledSigmoid(-1.0);

    public static IReadOnlyList<NabScore> Score(IReadOnlyList<NabSeries> corpus, IReadOnlyList<double[]> scores, IReadOnlyList<NabProfile> profiles)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Count, corpus.Count, nameof(scores));
        var points = new List<ScoredRow>();
        var windows = 0;
        for (var file = 0; file < corpus.Count; file++)
        {
            windows += AddRows(corpus[file], scores[file], windows, points);
        }

        // Highest score first: lowering the threshold past each distinct score adds that score's rows as detections.
        points.Sort((left, right) => right.Score.CompareTo(left.Score));
        return profiles.Select(profile => Sweep(points, windows, profile)).ToList();
    }

    /// <summary>2/(1+e^{5y}) − 1: +0.987 at a window's start, 0 at its end, towards −1 after it (and −1 from 3 widths on).</summary>
    public static double ScaledSigmoid(double position) =>
        position >= 3.0 ? -1.0 : (2.0 / (1.0 + Math.Exp(5.0 * position))) - 1.0;

    public static int ProbationRows(int rows) => Math.Min((int)Math.Floor(ProbationFraction * rows), MaxProbationRows);

    /// <summary>Adds the file's scorable rows, each with its unweighted reward, and returns how many windows it holds.</summary>
    private static int AddRows(NabSeries series, double[] scores, int firstWindowId, List<ScoredRow> points)
    {
        var timestamps = series.Timestamps;
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Length, timestamps.Count, series.Name);
        var probation = ProbationRows(timestamps.Count);
        var nextWindow = 0;
        var windowId = -1;
        int left = 0, right = -1, previousRight = -1, previousWidth = 0;
        for (var i = 0; i < timestamps.Count; i++)
        {
            // Files that repeat a timestamp or step back are scored by row position: a window opens at the first row
            // carrying its start and closes at the next row carrying its end.
            if (windowId < 0 && nextWindow < series.Windows.Count && timestamps[i] == series.Windows[nextWindow].Start)
            {
                left = i;
                right = IndexOf(timestamps, series.Windows[nextWindow].End, i);
                windowId = firstWindowId + nextWindow;
                nextWindow++;
            }

            var reward = windowId >= 0
                ? ScaledSigmoid(-(right - i + 1) / (double)(right - left + 1)) / EarliestTruePositive
                : previousRight < 0 ? -1.0 : ScaledSigmoid(Math.Abs(i - previousRight) / (double)(previousWidth - 1));
            if (i >= probation)
            {
                points.Add(new ScoredRow(double.IsNaN(scores[i]) ? 0 : scores[i], reward, windowId));
            }

            if (windowId >= 0 && i == right)
            {
                previousRight = right;
                previousWidth = right - left + 1;
                windowId = -1;
            }
        }

        if (nextWindow != series.Windows.Count)
        {
            throw new InvalidDataException($"{series.Name}: window {series.Windows[nextWindow]} does not start at a row of the file.");
        }

        return series.Windows.Count;
    }

    private static NabScore Sweep(List<ScoredRow> points, int windowIds, NabProfile profile)
    {
        var best = new double[windowIds];
        var scorable = new bool[windowIds];
        foreach (var point in points.Where(point => point.Window >= 0))
        {
            scorable[point.Window] = true;
        }

        // A window wholly inside the probation period cannot be scored either way, as in NAB.
        var windows = scorable.Count(flag => flag);
        Array.Fill(best, -profile.FalseNegative);
        var total = -profile.FalseNegative * windows;
        int detected = 0, falsePositives = 0;

        var bestScore = (Threshold: DetectNothing, Total: total, Detected: 0, FalsePositives: 0);
        var threshold = DetectNothing;
        foreach (var point in points)
        {
            if (point.Score != threshold)
            {
                if (total > bestScore.Total)
                {
                    bestScore = (threshold, total, detected, falsePositives);
                }

                threshold = point.Score;
            }

            if (point.Window < 0)
            {
                total += profile.FalsePositive * point.Reward;
                falsePositives++;
            }
            else
            {
                var reward = profile.TruePositive * point.Reward;
                if (best[point.Window] == -profile.FalseNegative)
                {
                    detected++;
                }

                if (reward > best[point.Window])
                {
                    total += reward - best[point.Window];
                    best[point.Window] = reward;
                }
            }
        }

        if (total > bestScore.Total)
        {
            bestScore = (threshold, total, detected, falsePositives);
        }

        var nullScore = -profile.FalseNegative * windows;
        var perfectScore = profile.TruePositive * windows;
        var normalized = windows == 0 ? 0 : 100.0 * (bestScore.Total - nullScore) / (perfectScore - nullScore);
        return new NabScore(profile, bestScore.Threshold, bestScore.Total, normalized, windows, bestScore.Detected, bestScore.FalsePositives);
    }

    private static int IndexOf(IReadOnlyList<DateTime> timestamps, DateTime value, int from)
    {
        for (var i = from; i < timestamps.Count; i++)
        {
            if (timestamps[i] == value)
            {
                return i;
            }
        }

        throw new InvalidDataException($"No row carries the window end {value:yyyy-MM-dd HH:mm:ss}.");
    }

    private readonly record struct ScoredRow(double Score, double Reward, int Window);
}
