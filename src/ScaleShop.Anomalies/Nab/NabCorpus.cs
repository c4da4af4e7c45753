using System.Globalization;
using System.Text.Json;

namespace ScaleShop.Anomalies.Nab;

/// <summary>One labelled stream of a NAB-layout folder: its rows in file order and its anomaly windows.</summary>
public sealed record NabSeries(string Name, IReadOnlyList<DateTime> Timestamps, IReadOnlyList<double> Values, IReadOnlyList<NabWindow> Windows);

/// <summary>An anomaly window as the labels give it: both ends are timestamps of rows in the file, inclusive.</summary>
public readonly record struct NabWindow(DateTime Start, DateTime End);

/// <summary>
/// Reads a folder in NAB's layout (<c>data/&lt;category&gt;/&lt;file&gt;.csv</c>, <c>labels/combined_windows.json</c>,
/// <c>config/profiles.json</c>). Only files named by the labels are read, so a stray CSV cannot change a score.
/// </summary>
public static class NabCorpus
{
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.ffffff"];

    public static IReadOnlyList<NabSeries> Load(string root)
    {
        var labelsPath = Path.Combine(root, "labels", "combined_windows.json");
        using var labels = JsonDocument.Parse(File.ReadAllText(labelsPath));
        var series = new List<NabSeries>();
        foreach (var file in labels.RootElement.EnumerateObject().OrderBy(entry => entry.Name, StringComparer.Ordinal))
        {
            var windows = file.Value.EnumerateArray()
                .Select(window => new NabWindow(ParseTimestamp(window[0].GetString()!), ParseTimestamp(window[1].GetString()!)))
                .ToList();
            var (timestamps, values) = ReadData(Path.Combine(root, "data", file.Name));
            series.Add(new NabSeries(file.Name, timestamps, values, windows));
        }

        return series;
    }

    /// <summary>NAB's cost profiles from <c>config/profiles.json</c>; the three published ones when the folder has none.</summary>
    public static IReadOnlyList<NabProfile> LoadProfiles(string root)
    {
        var path = Path.Combine(root, "config", "profiles.json");
        if (!File.Exists(path))
        {
            return NabProfile.Published;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateObject()
            .Select(profile =>
            {
                var costs = profile.Value.GetProperty("CostMatrix");
                return new NabProfile(profile.Name, costs.GetProperty("tpWeight").GetDouble(), costs.GetProperty("fpWeight").GetDouble(), costs.GetProperty("fnWeight").GetDouble());
            })
            .ToList();
    }

    /// <summary>A detector's output file in NAB's results layout: a header, then one score per data row.</summary>
    public static double[] ReadScores(string path) =>
        File.ReadLines(path).Skip(1).Where(line => line.Length > 0)
            .Select(line => double.Parse(line.Split(',')[^1], CultureInfo.InvariantCulture))
            .ToArray();

    private static (List<DateTime> Timestamps, List<double> Values) ReadData(string path)
    {
        var timestamps = new List<DateTime>();
        var values = new List<double>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var comma = line.IndexOf(',', StringComparison.Ordinal);
            timestamps.Add(ParseTimestamp(line[..comma]));
            values.Add(double.Parse(line.AsSpan(comma + 1), CultureInfo.InvariantCulture));
        }

        return (timestamps, values);
    }

    private static DateTime ParseTimestamp(string text) =>
        DateTime.ParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
