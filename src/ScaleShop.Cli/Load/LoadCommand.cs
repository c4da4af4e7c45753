using System.CommandLine;
using System.Globalization;
using ScaleShop.Load;
using Spectre.Console;

namespace ScaleShop.Cli.Load;

/// <summary>
/// <c>scaleshop load --scenario steady --rate 200 --duration 60</c>: the million-user load generator against a
/// storefront on this machine. Prints a live line per second, writes report.md, summary.json, timeseries.csv
/// and charts to <c>--out</c>, and exits 1 when the objectives file is not met.
/// </summary>
public static class LoadCommand
{
    private const int MaxDurationSeconds = 4 * 3600;
    private const double MaxRate = 100_000;

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The storefront (this machine only).", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var scenario = new Option<string>("--scenario") { Description = "steady | ramp | spike | soak", DefaultValueFactory = _ => "steady" };
        scenario.AcceptOnlyFromAmong("steady", "ramp", "spike", "soak");
        var rate = new Option<double>("--rate") { Description = "Journeys started per second (ramp: the first step; spike: the base).", DefaultValueFactory = _ => 50 };
        var to = new Option<double>("--to") { Description = "ramp: the last step's rate; spike: the peak rate.", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "ramp: number of steps.", DefaultValueFactory = _ => 5 };
        var duration = new Option<double>("--duration") { Description = "Seconds: the whole run (ramp: each step).", DefaultValueFactory = _ => 60 };
        var spikeAt = new Option<double>("--spike-at") { Description = "spike: seconds before the spike.", DefaultValueFactory = _ => 20 };
        var spikeFor = new Option<double>("--spike-for") { Description = "spike: seconds the spike lasts.", DefaultValueFactory = _ => 10 };
        var mix = new Option<string>("--mix") { Description = "Journey weights.", DefaultValueFactory = _ => "browse=70,search=20,cart=8,checkout=2" };
        var users = new Option<int>("--users") { Description = "Seeded users to draw shoppers from.", DefaultValueFactory = _ => 1_000_000 };
        var sessions = new Option<int>("--sessions") { Description = "Shoppers signed in at once.", DefaultValueFactory = _ => 2_000 };
        var products = new Option<long>("--products") { Description = "Products in the catalog (ids 1..N).", DefaultValueFactory = _ => 10_000 };
        var categories = new Option<int>("--categories") { Description = "Categories in the catalog.", DefaultValueFactory = _ => 50 };
        var zipf = new Option<double>("--zipf") { Description = "Zipf exponent of product popularity.", DefaultValueFactory = _ => 1.0 };
        var think = new Option<double>("--think-ms") { Description = "Mean think time between a journey's steps (ms).", DefaultValueFactory = _ => 500 };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "Journeys in flight at most; arrivals beyond are dropped and counted.", DefaultValueFactory = _ => 20_000 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds before a request counts as timed out.", DefaultValueFactory = _ => 10 };
        var objectives = new Option<string?>("--objectives") { Description = "Per-journey objectives (JSON); default load/objectives.json when it exists; 'none' to judge nothing." };
        var endpoint = new Option<string?>("--endpoint") { Description = "Single-endpoint mode: every arrival is one GET of this path (for cross-checks with wrk)." };
        var maxJourneys = new Option<long?>("--max-journeys") { Description = "Stop after this many arrivals even if the schedule has not ended." };
        var warmUp = new Option<double>("--warmup") { Description = "Seconds at the first rate before the scenario, reported but not judged.", DefaultValueFactory = _ => 0 };
        var closedLoop = new Option<int?>("--closed-loop") { Description = "With --endpoint: N connections each sending as soon as answered (like wrk -cN), for cross-checks." };
        var output = new Option<string>("--out") { Description = "Folder for the report.", DefaultValueFactory = _ => Path.Combine("load-results", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)) };

        var command = new Command("load", "Open-model load from a million-user population: journeys, think times, real sign-ins, idempotent checkouts.")
        {
            url, scenario, rate, to, steps, duration, spikeAt, spikeFor, mix, users, sessions, products, categories, zipf, think, maxInFlight, timeout, objectives, endpoint, closedLoop, warmUp, maxJourneys, output,
        };
        url.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                result.AddError("--url must be an absolute http(s) URL.");
            }
            else if (!parsed.IsLoopback)
            {
                result.AddError("--url must be on this machine (127.0.0.1, ::1 or localhost).");
            }
        });
        endpoint.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } path && !path.StartsWith('/'))
            {
                result.AddError("--endpoint is a path on the storefront, starting with '/'.");
            }
        });
        closedLoop.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } loops && (loops is < 1 or > 10_000 || result.Parent?.GetResult(endpoint) is null))
            {
                result.AddError("--closed-loop takes 1 to 10000 connections, and only with --endpoint.");
            }
        });
        rate.Validators.Add(result => Range(result, result.GetValueOrDefault<double>(), 0.1, MaxRate, "--rate"));
        warmUp.Validators.Add(result => Range(result, result.GetValueOrDefault<double>(), 0, 3600, "--warmup"));
        duration.Validators.Add(result => Range(result, result.GetValueOrDefault<double>(), 1, MaxDurationSeconds, "--duration"));
        steps.Validators.Add(result => Range(result, result.GetValueOrDefault<int>(), 1, 100, "--steps"));
        users.Validators.Add(result => Range(result, result.GetValueOrDefault<int>(), 1, 100_000_000, "--users"));
        sessions.Validators.Add(result => Range(result, result.GetValueOrDefault<int>(), 1, 1_000_000, "--sessions"));
        products.Validators.Add(result => Range(result, result.GetValueOrDefault<long>(), 1, 50_000_000, "--products"));
        timeout.Validators.Add(result => Range(result, result.GetValueOrDefault<double>(), 0.1, 120, "--timeout"));

        command.SetAction(async (parse, cancellationToken) =>
        {
            ArrivalSchedule schedule;
            var seconds = TimeSpan.FromSeconds(parse.GetValue(duration));
            switch (parse.GetValue(scenario))
            {
                case "ramp":
                    schedule = new RampSchedule(parse.GetValue(rate), parse.GetValue(to) is > 0 and var last ? last : parse.GetValue(rate) * 4, parse.GetValue(steps), seconds);
                    break;
                case "spike":
                    var at = TimeSpan.FromSeconds(parse.GetValue(spikeAt));
                    var length = TimeSpan.FromSeconds(parse.GetValue(spikeFor));
                    schedule = new SpikeSchedule(parse.GetValue(rate), parse.GetValue(to) is > 0 and var peak ? peak : parse.GetValue(rate) * 5, at, length, seconds > at + length ? seconds : at + length + at);
                    break;
                default:
                    schedule = new SteadySchedule(parse.GetValue(rate), seconds, IsSoak: parse.GetValue(scenario) == "soak");
                    break;
            }

            if (parse.GetValue(warmUp) is > 0 and var warm)
            {
                schedule = new WarmedUpSchedule(schedule, TimeSpan.FromSeconds(warm));
            }

            JourneyMix journeyMix;
            try
            {
                journeyMix = JourneyMix.Parse(parse.GetValue(mix)!);
            }
            catch (FormatException exception)
            {
                AnsiConsole.MarkupLine($"[red]--mix:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }

            var objectivesPath = parse.GetValue(objectives) switch
            {
                "none" => null,
                { } given => given,
                null => File.Exists(Path.Combine("load", "objectives.json")) ? Path.Combine("load", "objectives.json") : null,
            };
            Objectives? goals;
            try
            {
                goals = objectivesPath is null ? null : Objectives.Load(objectivesPath);
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
            {
                AnsiConsole.MarkupLine($"[red]--objectives:[/] {Markup.Escape(exception.Message)}");
                return 2;
            }
            var profile = new LoadProfile
            {
                BaseUrl = new Uri(parse.GetValue(url)!),
                Schedule = schedule,
                Mix = journeyMix,
                Users = parse.GetValue(users),
                ActiveSessions = parse.GetValue(sessions),
                Products = parse.GetValue(products),
                Categories = parse.GetValue(categories),
                ZipfExponent = parse.GetValue(zipf),
                ThinkTime = TimeSpan.FromMilliseconds(parse.GetValue(think)),
                MaxInFlight = parse.GetValue(maxInFlight),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                Endpoint = parse.GetValue(endpoint),
                ClosedLoopConnections = parse.GetValue(closedLoop),
                MaxJourneys = parse.GetValue(maxJourneys) ?? long.MaxValue,
            };

            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(schedule.Describe())}[/] against {Markup.Escape(profile.BaseUrl.ToString())}; mix {Markup.Escape(journeyMix.ToString())}; " +
                $"{profile.Users:N0} users, {profile.ActiveSessions:N0} signed in at once; objectives: {Markup.Escape(objectivesPath ?? "none")}");
            var run = await new LoadEngine(profile).RunAsync(samples => PrintInterval(samples), cancellationToken);
            var verdict = goals?.Judge(run);
            var folder = parse.GetValue(output)!;
            LoadReport.Write(folder, run, verdict);
            foreach (var journey in run.Totals.Where(j => j.Latency.Count + j.Errors > 0))
            {
                var l = journey.Latency;
                AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
                    $"{journey.Journey,-9} {l.Count,9:N0} req  p50 {l.P50,8:F1}  p90 {l.P90,8:F1}  p99 {l.P99,8:F1}  p99.9 {l.P999,8:F1}  max {l.Max,8:F1} ms  errors {journey.Errors:N0} ({journey.ErrorRate:P2})");
            }

            AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, $"{run.Requests:N0} requests in {run.Elapsed.TotalSeconds:F1} s ({run.RequestsPerSecond:F0}/s); generator {run.GeneratorMicrosecondsPerRequest:F0} µs CPU per request; " +
                $"dropped {run.JourneysDropped:N0}; errors: {(run.ErrorsByKind.Count == 0 ? "none" : string.Join(", ", run.ErrorsByKind.Select(e => $"{e.Key} {e.Value}")))}");
            if (verdict is not null)
            {
                AnsiConsole.MarkupLine(verdict.Met ? "[green]Objectives met[/]" : "[red]Objectives NOT met[/]");
                if (verdict.KneeRate is { } knee && schedule is RampSchedule or WarmedUpSchedule { Inner: RampSchedule })
                {
                    AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, $"Knee: {knee:0.#} journeys/s is the highest step that met every objective");
                }
            }

            AnsiConsole.MarkupLine($"Report: {Markup.Escape(Path.Combine(folder, "report.md"))}");
            return verdict is { Met: false } ? 1 : 0;
        });
        return command;
    }

    private static void PrintInterval(IReadOnlyList<IntervalSample> samples)
    {
        if (samples.Count == 0)
        {
            return;
        }

        var parts = samples.Where(s => s.Requests > 0 || s.Errors > 0)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Journey.ToString().ToLowerInvariant()} {s.Requests}/s p99 {s.Latency.P99:F0} ms{(s.Errors > 0 ? $" err {s.Errors}" : "")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{samples[0].At.TotalSeconds,6:F0}s  target {samples[0].TargetRate:0.#}/s  in flight {samples[0].InFlight,5}  {string.Join("  ", parts)}"));
    }

    private static void Range(System.CommandLine.Parsing.OptionResult result, double value, double min, double max, string name)
    {
        if (value < min || value > max)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min} and {max}."));
        }
    }
}
