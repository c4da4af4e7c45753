using ScottPlot;

namespace ScaleShop.Load;

/// <summary>The run over time as PNG charts (ScottPlot): requests per second by journey, and p99 latency by journey.</summary>
public static class LoadCharts
{
    private const int Width = 1000;
    private const int Height = 500;

    public static void Write(string directory, LoadRun run)
    {
        var byJourney = run.Samples.GroupBy(s => s.Journey).ToList();

        var throughput = new Plot();
        foreach (var journey in byJourney)
        {
            var line = throughput.Add.Scatter(journey.Select(s => s.At.TotalSeconds).ToArray(), journey.Select(s => (double)s.Requests / LoadEngine.ReportingInterval.TotalSeconds).ToArray());
            line.LegendText = journey.Key.ToString().ToLowerInvariant();
            line.MarkerSize = 0;
        }

        var target = throughput.Add.Scatter(byJourney.FirstOrDefault()?.Select(s => s.At.TotalSeconds).ToArray() ?? [],
            byJourney.FirstOrDefault()?.Select(s => s.TargetRate).ToArray() ?? []);
        target.LegendText = "journeys started/s (target)";
        target.LinePattern = LinePattern.Dashed;
        target.MarkerSize = 0;
        throughput.Title($"Requests per second by journey ({run.Scenario})");
        throughput.XLabel("seconds");
        throughput.YLabel("per second");
        throughput.ShowLegend(Alignment.UpperLeft);
        throughput.SavePng(Path.Combine(directory, "throughput.png"), Width, Height);

        var latency = new Plot();
        foreach (var journey in byJourney)
        {
            var measured = journey.Where(s => s.Requests > 0).ToList();
            var line = latency.Add.Scatter(measured.Select(s => s.At.TotalSeconds).ToArray(), measured.Select(s => s.Latency.P99).ToArray());
            line.LegendText = $"{journey.Key.ToString().ToLowerInvariant()} p99";
            line.MarkerSize = 0;
        }

        latency.Title("p99 latency by journey, per second (ms, from when each request was due)");
        latency.XLabel("seconds");
        latency.YLabel("ms");
        latency.ShowLegend(Alignment.UpperLeft);
        latency.SavePng(Path.Combine(directory, "latency.png"), Width, Height);
    }
}
