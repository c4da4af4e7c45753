using System.CommandLine;
using ScaleShop.Slo;
using Spectre.Console;

namespace ScaleShop.Cli.Slo;

/// <summary>
/// <c>scaleshop slo rules</c>: the objectives file as Prometheus recording and alerting rules
/// (deploy/prometheus/slo-rules.yml is its output; a test keeps the two in step).
/// </summary>
public static class SloCommand
{
    public const string DefaultObjectives = "load/objectives.json";

    public static Command Create()
    {
        var objectives = new Option<string>("--objectives") { Description = "The objectives file.", DefaultValueFactory = _ => DefaultObjectives };
        var output = new Option<string?>("--out") { Description = "Write the rules here instead of standard output." };
        var rules = new Command("rules", "Write the SLOs' burn-rate alerts as a Prometheus rule file.") { objectives, output };
        rules.SetAction(parse =>
        {
            var path = parse.GetValue(objectives)!;
            try
            {
                var yaml = PrometheusRules.Generate(SloObjectives.Load(path), path);
                if (parse.GetValue(output) is { } file)
                {
                    File.WriteAllText(file, yaml);
                }
                else
                {
                    Console.Write(yaml);
                }

                return 0;
            }
            catch (Exception exception) when (exception is InvalidDataException or IOException)
            {
                AnsiConsole.MarkupLine($"[red]Cannot write the rules:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }
        });
        return new Command("slo", "Service level objectives.") { rules };
    }
}
