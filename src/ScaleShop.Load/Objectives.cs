using ScaleShop.Slo;

namespace ScaleShop.Load;

/// <summary>One journey's objectives as a load run judges them: its p99 latency and its error rate.</summary>
public sealed record JourneyObjective(double P99Ms, double MaxErrorRate);

/// <summary>
/// Per-journey latency and error objectives, from the service level objectives file (<c>load/objectives.json</c>,
/// read by <see cref="SloObjectives"/>): a run's p99 must be under the journey's latency threshold, which is
/// the same claim as its 0.99 latency objective, and its error rate at most 1 − availability.
/// </summary>
public sealed record Objectives(IReadOnlyDictionary<JourneyKind, JourneyObjective> Journeys)
{
    /// <summary>The latency objective a p99 judges: 99% of requests within the threshold.</summary>
    public const double JudgedLatencyObjective = 0.99;

    public static Objectives Load(string path) => From(SloObjectives.Load(path), path);

    /// <summary>The journeys the generator drives; objectives of journeys it does not drive (recommendations) are not its to judge.</summary>
    public static Objectives From(SloObjectives slo, string source)
    {
        var journeys = new Dictionary<JourneyKind, JourneyObjective>();
        foreach (var journey in slo.Journeys)
        {
            if (!Enum.TryParse<JourneyKind>(journey.Journey, ignoreCase: true, out var kind))
            {
                continue;
            }

            if (Math.Abs(journey.Latency.Objective - JudgedLatencyObjective) > 1e-9)
            {
                throw new InvalidDataException($"{source}: journeys.{journey.Journey}.latency.objective: a load run judges p99, so it must be {JudgedLatencyObjective}.");
            }

            journeys[kind] = new JourneyObjective(journey.Latency.ThresholdMs, 1 - journey.Availability);
        }

        return new Objectives(journeys);
    }

    /// <summary>Judges every window of the run: a journey with no requests in a window is not judged there.</summary>
    public Verdict Judge(LoadRun run)
    {
        var windows = run.Windows.Where(window => window.Window.Judged).Select(window => new WindowVerdict(window, window.Journeys
            .Where(j => Journeys.ContainsKey(j.Journey) && j.Latency.Count + j.Errors > 0)
            .Select(j =>
            {
                var objective = Journeys[j.Journey];
                // Dropped arrivals count as errors without a request, so this slightly overstates the rate when
                // the generator drops: the safe side for a pass/fail.
                var errorRate = j.Latency.Count == 0 ? 1 : Math.Min(1, (double)j.Errors / j.Latency.Count);
                return new JourneyVerdict(j.Journey, objective, j.Latency.P99, errorRate,
                    j.Latency.P99 <= objective.P99Ms && errorRate <= objective.MaxErrorRate);
            }).ToList())).ToList();

        // The knee: the highest rate whose window, and every window below it, met every objective.
        double? knee = null;
        foreach (var window in windows.OrderBy(w => w.Window.Window.Rate))
        {
            if (!window.Met)
            {
                break;
            }

            knee = window.Window.Window.Rate;
        }

        return new Verdict(windows, windows.All(w => w.Met), knee);
    }
}

public sealed record JourneyVerdict(JourneyKind Journey, JourneyObjective Objective, double P99Ms, double ErrorRate, bool Met);

public sealed record WindowVerdict(WindowFigures Window, IReadOnlyList<JourneyVerdict> Journeys)
{
    public bool Met => Journeys.All(j => j.Met);
}

public sealed record Verdict(IReadOnlyList<WindowVerdict> Windows, bool Met, double? KneeRate);
