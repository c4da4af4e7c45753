using System.CommandLine;
using System.Globalization;
using ScaleShop.Anomalies.Detection;
using ScaleShop.Anomalies.Nab;
using Spectre.Console;

namespace ScaleShop.Cli.Anomalies;

/// <summary>
/// <c>scaleshop anomalies nab</c>: runs the streaming detector over a folder in NAB's layout, scores it with NAB's
/// rules beside the published detectors, and measures cost per point and memory per series on the same run.
/// </summary>
public static class AnomaliesCommand
{
    public const string DefaultNab = "../shared/nab";

    // NAB's published scoreboard on its full corpus (standard profile), for the reader's bearings: not this folder.
    private static readonly (string Detector, double Score)[] FullCorpusScoreboard =
    [
        ("ARTime", 74.9), ("Numenta HTM", 70.5), ("CAD OSE", 69.9), ("earthgecko Skyline", 58.2), ("KNN CAD", 58.0),
        ("Relative Entropy", 54.6), ("Random Cut Forest", 51.7), ("Twitter ADVec", 47.1), ("Windowed Gaussian", 39.6), ("Random", 11.0), ("Null", 0),
    ];

    public static Command Create()
    {
        var nab = new Option<string>("--nab") { Description = "A folder in NAB's layout: data/, labels/combined_windows.json, config/profiles.json.", DefaultValueFactory = _ => DefaultNab };
        var stages = new Option<string>("--stages")
        {
            Description = "Detector stages, comma-separated: sr, baseline, context, likelihood, suppression (for measuring what each adds).",
            DefaultValueFactory = _ => "baseline,context,likelihood,suppression",
        };
        var output = new Option<string?>("--out") { Description = "Also write the scores here in NAB's results layout (<category>/<file>.csv, column anomaly_score)." };
        var command = new Command("nab", "Score the anomaly detector on a NAB-layout folder.") { nab, stages, output };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(nab)!;
            try
            {
                Run(folder, DetectorOptions.Default with { Stages = ParseStages(parse.GetValue(stages)!) }, parse.GetValue(output));
                return 0;
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or ArgumentException or System.Text.Json.JsonException)
            {
                AnsiConsole.MarkupLine($"[red]Cannot score {Markup.Escape(folder)}:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }
        });
        return new Command("anomalies", "Streaming anomaly detection.") { command };
    }

    private static void Run(string folder, DetectorOptions options, string? output)
    {
        var corpus = NabCorpus.Load(folder);
        var profiles = NabCorpus.LoadProfiles(folder);
        AnsiConsole.MarkupLine($"[bold]{corpus.Count}[/] files, [bold]{corpus.Sum(series => series.Windows.Count)}[/] windows in {Markup.Escape(Path.GetFullPath(folder))}; stages: {options.Stages}");

        var run = NabRun.Detect(corpus, options);
        if (output is not null)
        {
            for (var i = 0; i < corpus.Count; i++)
            {
                var path = Path.Combine(output, corpus[i].Name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllLines(path, ["anomaly_score", .. run.Scores[i].Select(score => score.ToString("R", CultureInfo.InvariantCulture))]);
            }
        }

        var table = new Table().AddColumn("detector");
        foreach (var profile in profiles)
        {
            table.AddColumn(new TableColumn(profile.Name).RightAligned());
        }

        AddRow(table, "[bold]ScaleShop[/]", NabScorer.Score(corpus, run.Scores, profiles));

        // The published detectors' own outputs on this folder, where it carries them, scored by the same code.
        var fixtures = Path.Combine(folder, "fixtures");
        if (Directory.Exists(fixtures))
        {
            foreach (var detector in Directory.GetDirectories(fixtures).Order(StringComparer.Ordinal))
            {
                var scores = corpus.Select(series => NabCorpus.ReadScores(Path.Combine(detector, series.Name))).ToList();
                AddRow(table, Markup.Escape(Path.GetFileName(detector)) + " (published output)", NabScorer.Score(corpus, scores, profiles));
            }
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("Cells: normalised score (threshold, raw score, windows detected/false positives at that threshold).");
        AnsiConsole.MarkupLine("Published scoreboard, NAB full corpus, standard: " +
            string.Join(", ", FullCorpusScoreboard.Select(entry => $"{entry.Detector} {entry.Score.ToString("F1", CultureInfo.InvariantCulture)}")));

        var bytes = NabRun.BytesPerSeries(options);
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
            "Cost: {0:F2} µs per point ({1:N0} points in {2:F2} s, one thread); memory: {3:N0} bytes per series (10,000 detectors held at once).",
            run.MicrosecondsPerPoint, run.Points, run.Elapsed.TotalSeconds, bytes);
    }

    private static void AddRow(Table table, string name, IReadOnlyList<NabScore> scores) =>
        table.AddRow([name, .. scores.Select(score => string.Create(CultureInfo.InvariantCulture,
            $"[bold]{score.NormalizedScore:F2}[/] ({score.Threshold:F4}, {score.RawScore:F3}, {score.Detected}/{score.FalsePositives})"))]);

    private static DetectorStages ParseStages(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Aggregate(DetectorStages.None, (stages, name) => stages | name.ToUpperInvariant() switch
        {
            "SR" => DetectorStages.SpectralResidual,
            "BASELINE" => DetectorStages.Baseline,
            "LIKELIHOOD" => DetectorStages.Likelihood,
            "SUPPRESSION" => DetectorStages.Suppression,
            "CONTEXT" => DetectorStages.Context,
            _ => throw new ArgumentException($"Unknown stage '{name}': sr, baseline, context, likelihood, suppression."),
        });
}
