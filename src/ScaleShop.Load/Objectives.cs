using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleShop.Load;

/// <summary>One journey's objectives: its p99 latency and its error rate.</summary>
public sealed record JourneyObjective(double P99Ms, double MaxErrorRate);

/// <summary>
/// Per-journey latency and error objectives, read from a JSON file (<c>load/objectives.json</c>):
/// <code>{ "journeys": { "browse": { "p99Ms": 100, "maxErrorRate": 0.001 }, ... } }</code>
/// The same file is meant to become the service's SLO configuration.
/// </summary>
public sealed record Objectives(IReadOnlyDictionary<JourneyKind, JourneyObjective> Journeys)
{
    public static Objectives Load(string path)
    {
        var file = JsonSerializer.Deserialize(File.ReadAllText(path), ObjectivesJsonContext.Default.ObjectivesFile)
            ?? throw new InvalidDataException($"{path} is empty.");
        var journeys = new Dictionary<JourneyKind, JourneyObjective>();
        foreach (var (name, objective) in file.Journeys ?? [])
        {
            if (!Enum.TryParse<JourneyKind>(name, ignoreCase: true, out var journey))
            {
                throw new InvalidDataException($"{path}: '{name}' is not a journey (browse, search, cart, checkout).");
            }

            if (objective.P99Ms <= 0 || objective.MaxErrorRate is < 0 or > 1)
            {
                throw new InvalidDataException($"{path}: {name} needs p99Ms > 0 and maxErrorRate between 0 and 1.");
            }

            journeys[journey] = objective;
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

internal sealed record ObjectivesFile(Dictionary<string, JourneyObjective>? Journeys);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ObjectivesFile))]
internal sealed partial class ObjectivesJsonContext : JsonSerializerContext;
