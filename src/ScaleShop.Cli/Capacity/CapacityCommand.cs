using System.CommandLine;
using ScaleShop.Load.Capacity;
using Spectre.Console;

namespace ScaleShop.Cli.Capacity;

/// <summary>
/// <c>scaleshop capacity</c>: instances, shards and replicas for the population in <c>load/capacity.json</c>,
/// sized from the knee of a load run (the newest <c>load-results/*/summary.json</c>, or <c>--run</c>).
/// </summary>
public static class CapacityCommand
{
    public static Command Create()
    {
        var run = new Option<string?>("--run") { Description = "A load run's summary.json (default: the newest under load-results/ with a knee)." };
        var assumptions = new Option<string>("--assumptions") { Description = "Population and measured capacities.", DefaultValueFactory = _ => Path.Combine("load", "capacity.json") };
        var command = new Command("capacity", "Plan instances, shards and replicas for a million daily users from a measured knee.") { run, assumptions };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(run) ?? Newest();
            if (path is null || !File.Exists(path))
            {
                AnsiConsole.MarkupLine("[red]No load run to size from:[/] run a ramp first (benchmarks/mix.sh) or give --run path/summary.json.");
                return 2;
            }

            try
            {
                var summary = CapacityModel.ReadRun(path);
                var plan = CapacityModel.Plan(summary, CapacityAssumptions.Load(parse.GetValue(assumptions)!));
                AnsiConsole.MarkupLine($"Sized from {Markup.Escape(path)} ({Markup.Escape(summary.Schedule)}, {summary.StartedAt:u})");
                Console.WriteLine(CapacityModel.ToMarkdown(plan));
                return 0;
            }
            catch (Exception exception) when (exception is InvalidOperationException or InvalidDataException or IOException or System.Text.Json.JsonException)
            {
                AnsiConsole.MarkupLine($"[red]Cannot plan:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }
        });
        return command;
    }

    // The newest run that found a knee: read through the summary model, once per file, not by text matching.
    private static string? Newest() =>
        Directory.Exists("load-results")
            ? Directory.GetFiles("load-results", "summary.json", SearchOption.AllDirectories)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault(f => CapacityModel.ReadRun(f).KneeJourneysPerSecond is not null)
            : null;
}
