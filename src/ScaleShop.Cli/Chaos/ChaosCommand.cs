using System.CommandLine;
using System.Globalization;
using ScaleShop.Chaos;
using Spectre.Console;

namespace ScaleShop.Cli.Chaos;

/// <summary>
/// <c>scaleshop chaos run chaos/experiments/NAME.json [--short]</c>: one chaos experiment against a running
/// system (see chaos/run.sh, which starts one); <c>scaleshop chaos list</c>: the experiments and their faults.
/// Exits 1 when the hypothesis failed, 2 when the experiment could not be run.
/// </summary>
public static class ChaosCommand
{
    private const string ExperimentsFolder = "chaos/experiments";

    public static Command Create()
    {
        var command = new Command("chaos", "Chaos experiments as code: a steady-state hypothesis, a fault under load, the rollback, a report.");
        command.Subcommands.Add(Run());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Run()
    {
        var file = new Argument<string>("experiment") { Description = "The experiment file (chaos/experiments/NAME.json), or its name." };
        var url = new Option<string>("--url") { Description = "The storefront (this machine only).", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var shortVersion = new Option<bool>("--short") { Description = "The experiment's short phases (as CI runs them)." };
        var output = new Option<string?>("--out") { Description = "Folder for report.md and summary.json (default chaos-results/NAME-TIME)." };
        var adminEmail = new Option<string?>("--admin-email") { Description = "An admin account of the storefront (default: $Admin__Email)." };
        var adminPassword = new Option<string?>("--admin-password") { Description = "Its password (default: $Admin__Password)." };
        var topology = new Option<string>("--topology") { Description = "The script that stops, starts, pauses and resumes servers.", DefaultValueFactory = _ => "deploy/local/topology.sh" };
        var variables = new Option<string[]>("--var") { Description = "name=URL for ${name} in fault URLs, e.g. --var payments=http://127.0.0.1:5351", AllowMultipleArgumentsPerToken = false };
        var drill = new Option<bool>("--drill")
        {
            Description = "Rehearse the experiment's runbook: while the fault is in place run its 'sh runbook' steps, then its 'sh runbook verify' blocks until they pass; the runbook, not the runner, must bring the system back.",
        };
        var repository = new Option<string>("--repository") { Description = "The repository root the runbook's commands run from.", DefaultValueFactory = _ => "." };
        var command = new Command("run", "Run one experiment against a running system.") { file, url, shortVersion, output, adminEmail, adminPassword, topology, variables, drill, repository };
        url.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var parsed) || !parsed.IsLoopback)
            {
                result.AddError("--url must be an absolute http URL on this machine (127.0.0.1, ::1 or localhost).");
            }
        });
        variables.Validators.Add(result =>
        {
            foreach (var pair in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (pair.Split('=', 2) is not [{ Length: > 0 }, var value] || !Uri.TryCreate(value, UriKind.Absolute, out _))
                {
                    result.AddError($"--var takes name=URL (an absolute URL), not '{pair}'.");
                }
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            Experiment experiment;
            try
            {
                experiment = ExperimentFile.Load(Locate(parse.GetValue(file)!));
            }
            catch (ExperimentFileException exception)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(exception.File)}[/]:");
                foreach (var problem in exception.Problems)
                {
                    AnsiConsole.MarkupLine($"  {Markup.Escape(problem)}");
                }

                return 2;
            }

            var email = parse.GetValue(adminEmail) ?? Environment.GetEnvironmentVariable("Admin__Email");
            var password = parse.GetValue(adminPassword) ?? Environment.GetEnvironmentVariable("Admin__Password");
            if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
            {
                AnsiConsole.MarkupLine("[red]--admin-email and --admin-password[/] (or Admin__Email and Admin__Password) are required: the runner reads the shard map and the circuit breakers.");
                return 2;
            }

            var settings = new RunSettings(new Uri(parse.GetValue(url)!), email, password, parse.GetValue(topology)!,
                (parse.GetValue(variables) ?? []).Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v[1], StringComparer.Ordinal), parse.GetValue(shortVersion),
                parse.GetValue(drill) ? ScaleShop.Chaos.Runbooks.DrillSettings.For(Path.GetFullPath(parse.GetValue(repository)!)) : null);
            if (settings.Drill is not null && experiment.Runbook is null)
            {
                AnsiConsole.MarkupLine($"[red]--drill:[/] {Markup.Escape(experiment.Name)} names no runbook (\"runbook\": \"docs/runbooks/….md\").");
                return 2;
            }

            var durations = experiment.Durations(settings.Short);
            // Not MarkupLine(provider, format, args): a fault's JSON body has braces that string.Format would read as holes.
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]{Markup.Escape(experiment.Name)}[/]{(settings.Short ? " (short)" : "")}: {Markup.Escape(string.Join("; ", experiment.Faults.Select(f => f.Describe())))}; " +
                $"warm-up {durations.WarmUp.TotalSeconds:0} s, before {durations.Before.TotalSeconds:0} s, during {durations.During.TotalSeconds:0} s, recovery {durations.Recovery.TotalSeconds:0} s, after {durations.After.TotalSeconds:0} s"));
            ExperimentResult result;
            try
            {
                result = await new ExperimentRunner(settings, line => AnsiConsole.WriteLine(line)).RunAsync(experiment, cancellationToken);
            }
            catch (ExperimentFileException exception)
            {
                foreach (var problem in exception.Problems)
                {
                    AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
                }

                return 2;
            }
            catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or TimeoutException)
            {
                // The storefront unreachable, the admin refused, a fault that could not be put in place: the
                // runner has rolled back whatever it had done; there is no result to judge.
                AnsiConsole.MarkupLine($"[red]The experiment could not run:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }

            var folder = parse.GetValue(output) ?? Path.Combine("chaos-results", $"{experiment.Name}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            ChaosReport.Write(folder, result);
            PrintSummary(result);
            AnsiConsole.MarkupLine($"Report: {Markup.Escape(Path.Combine(folder, "report.md"))}");
            return result.Passed ? 0 : 1;
        });
        return command;
    }

    private static Command List()
    {
        var folder = new Option<string>("--folder") { Description = "Where the experiment files are.", DefaultValueFactory = _ => ExperimentsFolder };
        var command = new Command("list", "The experiments, their faults and whether each file is valid.") { folder };
        command.SetAction(parse =>
        {
            var table = new Table().AddColumns("experiment", "faults", "full (s)", "short (s)", "valid");
            var invalid = 0;
            foreach (var path in Directory.EnumerateFiles(parse.GetValue(folder)!, "*.json").Order(StringComparer.Ordinal))
            {
                try
                {
                    var experiment = ExperimentFile.Load(path);
                    table.AddRow(Markup.Escape(experiment.Name), Markup.Escape(string.Join("; ", experiment.Faults.Select(f => f.Describe()))),
                        Seconds(experiment.Full), Seconds(experiment.Short), "yes");
                }
                catch (ExperimentFileException exception)
                {
                    invalid++;
                    table.AddRow(Markup.Escape(Path.GetFileNameWithoutExtension(path)), "", "", "", $"[red]{Markup.Escape(string.Join("; ", exception.Problems))}[/]");
                }
            }

            AnsiConsole.Write(table);
            return invalid == 0 ? 0 : 2;
        });
        return command;
    }

    private static string Seconds(PhaseDurations d) => string.Create(CultureInfo.InvariantCulture, $"{d.Total.TotalSeconds:0}");

    /// <summary>A path as given, or a bare name looked up in chaos/experiments.</summary>
    private static string Locate(string given) =>
        File.Exists(given) || given.Contains('/', StringComparison.Ordinal) || given.EndsWith(".json", StringComparison.Ordinal)
            ? given
            : Path.Combine(ExperimentsFolder, given + ".json");

    private static void PrintSummary(ExperimentResult result)
    {
        var table = new Table().AddColumns("phase", "journey", "shoppers on", "requests", "failed", "p99 ms");
        foreach (var phase in result.Phases)
        {
            foreach (var journey in phase.Journeys)
            {
                table.AddRow(phase.Phase.ToString(), journey.Journey.ToString().ToLowerInvariant(), journey.Shard ?? "all",
                    journey.Requests.ToString(CultureInfo.InvariantCulture), journey.Failed.ToString(CultureInfo.InvariantCulture), journey.P99Ms.ToString("F0", CultureInfo.InvariantCulture));
            }
        }

        AnsiConsole.Write(table);
        foreach (var transition in result.Breakers)
        {
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"breaker {transition.Dependency}: {transition.From} -> {transition.To} at {transition.At.TotalSeconds:F1} s ({transition.Phase})"));
        }

        var orders = result.Orders;
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"orders: {orders.Acknowledged} acknowledged ({orders.Confirmed201} × 201, {orders.Pending202} × 202), {orders.Found} found afterwards, {orders.Lost.Count} lost; pending after rollback {orders.PendingAtEnd}{(orders.SettledInSeconds is { } s ? $", settled in {s:F0} s" : "")}"));
        if (result.Passed)
        {
            AnsiConsole.MarkupLine("[green]Hypothesis held[/]");
        }
        else
        {
            AnsiConsole.MarkupLine("[red]Hypothesis FAILED[/]");
            foreach (var failure in result.Failures)
            {
                AnsiConsole.MarkupLine($"  [red]-[/] {Markup.Escape(failure)}");
            }
        }
    }
}
