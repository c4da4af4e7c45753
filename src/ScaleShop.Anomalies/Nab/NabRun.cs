using System.Diagnostics;
using ScaleShop.Anomalies.Detection;

namespace ScaleShop.Anomalies.Nab;

/// <summary>A detector's scores on every file of a NAB folder, and what producing them cost.</summary>
public sealed record NabRun(IReadOnlyList<double[]> Scores, long Points, TimeSpan Elapsed)
{
    public double MicrosecondsPerPoint => Elapsed.TotalMicroseconds / Points;

    /// <summary>
    /// Streams each file through a fresh detector, one row at a time, on one thread so the elapsed time is the cost
    /// of the points themselves. Timestamps go in as UTC; rows are scored in file order even where a file steps back.
    /// </summary>
    public static NabRun Detect(IReadOnlyList<NabSeries> corpus, DetectorOptions options)
    {
        var scores = new List<double[]>(corpus.Count);
        long points = 0;
        var clock = Stopwatch.StartNew();
        foreach (var series in corpus)
        {
            var detector = new AnomalyDetector(options);
            var output = new double[series.Values.Count];
            for (var i = 0; i < output.Length; i++)
            {
                output[i] = detector.Update(new DateTimeOffset(series.Timestamps[i], TimeSpan.Zero), series.Values[i]).Anomaly;
            }

            points += output.Length;
            scores.Add(output);
        }

        return new NabRun(scores, points, clock.Elapsed);
    }

    /// <summary>
    /// Managed heap per series: the growth of the live heap when this many detectors, each warmed past every buffer's
    /// length, are held at once, divided by their number (the registry's dictionary entry not included).
    /// </summary>
    public static long BytesPerSeries(DetectorOptions options, int series = 10_000, int pointsEach = 300)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var detectors = new AnomalyDetector[series];
        for (var s = 0; s < series; s++)
        {
            detectors[s] = new AnomalyDetector(options);
            for (var i = 0; i < pointsEach; i++)
            {
                detectors[s].Update(start.AddMinutes(5 * i), Math.Sin(i / 10.0) + s);
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(detectors);
        return (after - before - ((long)IntPtr.Size * series)) / series;
    }
}
