using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ScaleShop.Cluster.Control;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Processes;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Cluster.Versions;
using Spectre.Console;

namespace ScaleShop.Cli.Cluster;

/// <summary>
/// <c>scaleshop cluster up|status|down|publish</c>, <c>deploy</c>, <c>rollback</c>, <c>scale</c>, <c>autoscale</c>: a
/// local cluster (gateway, N storefront instances, payment provider, recommendations) run by a controller process.
/// </summary>
public static class ClusterCommand
{
    public const string DefaultState = "/var/tmp/scaleshop-cluster";

    /// <summary>What a first `cluster up` publishes the current build as.</summary>
    private const string FirstVersion = "v1";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static Option<string> StateOption() =>
        new("--state") { Description = "The cluster's state folder (versions, data, logs, keys).", DefaultValueFactory = _ => DefaultState, Recursive = true };

    public static IEnumerable<Command> Create()
    {
        var state = StateOption();
        var cluster = new Command("cluster", "A local cluster: a YARP gateway in front of N storefront instances, with the payment provider and recommendations.")
        {
            state, Up(state), Status(state), Down(state), Publish(state),
        };
        return [cluster, Deploy(state), Rollback(state), Scale(state), Autoscale(state)];
    }

    private static Command Up(Option<string> state)
    {
        var instances = new Option<int>("--instances") { Description = "Storefront instances to start.", DefaultValueFactory = _ => 2 };
        var version = new Option<string?>("--version") { Description = "The version to start (default: the last deployed, else the newest published)." };
        var topology = new Option<ClusterTopology>("--topology") { Description = "embedded (SQLite files in the state folder) or postgres (the settings of `deploy/local/topology.sh env` in this shell).", DefaultValueFactory = _ => ClusterTopology.Embedded };
        var publicUrl = new Option<string>("--public-url") { Description = "Where clients reach the gateway.", DefaultValueFactory = _ => "http://127.0.0.1:5080/" };
        var adminUrl = new Option<string>("--gateway-admin-url") { Description = "The gateway's admin API.", DefaultValueFactory = _ => "http://127.0.0.1:5071/" };
        var controlUrl = new Option<string>("--control-url") { Description = "The controller's control API.", DefaultValueFactory = _ => "http://127.0.0.1:5070/" };
        var autoscale = new Option<bool>("--autoscale") { Description = "Start with the autoscaler on." };
        var up = new Command("up", "Start the controller (detached) and wait until the cluster serves.") { instances, version, topology, publicUrl, adminUrl, controlUrl, autoscale };
        up.SetAction(async (parse, cancellationToken) =>
        {
            var stateDirectory = Path.GetFullPath(parse.GetValue(state)!);
            if (ControlClient.ForState(stateDirectory) is { } running && ControllerRecord.Read(stateDirectory) is { } existing && existing.IsRunning())
            {
                running.Dispose();
                AnsiConsole.MarkupLine($"[yellow]A controller already runs on {Markup.Escape(stateDirectory)}[/]: scaleshop cluster status");
                return 1;
            }

            string? published = null;
            // A first `up` on a fresh state folder has nothing to run: publish the current build as the first version.
            var store = new VersionStore(Path.Combine(stateDirectory, "versions"));
            var firstVersion = parse.GetValue(version) ?? FirstVersion;
            if (!store.Exists(firstVersion) && (!Directory.Exists(store.Directory) || !Directory.EnumerateDirectories(store.Directory).Any()))
            {
                AnsiConsole.MarkupLine($"No version published yet: publishing the current build as [green]{Markup.Escape(firstVersion)}[/]");
                await store.PublishProjectAsync(firstVersion, Path.Combine(RepositoryRoot.Find(), "src", "ScaleShop.Storefront", "ScaleShop.Storefront.csproj"),
                    "Release", new Dictionary<string, string>(), line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"), cancellationToken);
                published = firstVersion;
            }

            var controller = ControllerAssembly();
            Directory.CreateDirectory(Path.Combine(stateDirectory, "logs"));
            var settings = new Dictionary<string, string>
            {
                ["Cluster__StateDirectory"] = stateDirectory,
                ["Cluster__Instances"] = parse.GetValue(instances).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Cluster__Topology"] = parse.GetValue(topology).ToString(),
                ["Cluster__PublicUrl"] = parse.GetValue(publicUrl)!,
                ["Cluster__GatewayAdminUrl"] = parse.GetValue(adminUrl)!,
                ["Cluster__ControlUrl"] = parse.GetValue(controlUrl)!,
                ["Autoscale__Enabled"] = parse.GetValue(autoscale) ? "true" : "false",
            };
            if ((parse.GetValue(version) ?? published) is { } initial)
            {
                settings["Cluster__InitialVersion"] = initial;
            }

            var pid = StartDetached(controller, settings, Path.Combine(stateDirectory, "logs", "controller.log"));
            AnsiConsole.MarkupLine($"Controller started (pid {pid}); log: {Markup.Escape(Path.Combine(stateDirectory, "logs", "controller.log"))}");
            var status = await AnsiConsole.Status().StartAsync("Starting the cluster…", async context =>
            {
                while (true)
                {
                    await Task.Delay(PollInterval, cancellationToken);
                    if (!ChildProcess.IsAlive(pid))
                    {
                        return null;
                    }

                    if (await TryStatusAsync(stateDirectory, cancellationToken) is { } current)
                    {
                        context.Status($"{current.Phase}: {current.Instances.Count(i => i.State == "Serving")} instance(s) serving");
                        if (current.Phase is not "Starting")
                        {
                            return current;
                        }
                    }
                }
            });
            if (status is null)
            {
                AnsiConsole.MarkupLine("[red]The controller exited while starting[/]: see its log.");
                return 2;
            }

            Render(status);
            if (status.Phase == "Running")
            {
                return 0;
            }

            // A cluster that could not start is not left half-up: the controller stops what it started on SIGTERM.
            AnsiConsole.MarkupLine($"[red]The cluster did not start ({Markup.Escape(status.Phase)})[/]: stopping the controller; see its log.");
            using (var stop = System.Diagnostics.Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await stop.WaitForExitAsync(cancellationToken);
            }

            return 2;
        });
        return up;
    }

    private static Command Status(Option<string> state)
    {
        var json = new Option<bool>("--json") { Description = "The control API's answer as is." };
        var status = new Command("status", "Instances, versions, the rollout in progress or last, the autoscaler.") { json };
        status.SetAction(async (parse, cancellationToken) =>
        {
            var stateDirectory = parse.GetValue(state)!;
            if (await TryStatusAsync(stateDirectory, cancellationToken) is not { } current)
            {
                AnsiConsole.MarkupLine($"No cluster runs on {Markup.Escape(stateDirectory)} (scaleshop cluster up).");
                return 1;
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(current, ControlClient.Json));
            }
            else
            {
                Render(current);
            }

            return 0;
        });
        return status;
    }

    private static Command Down(Option<string> state)
    {
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long the controller may take to stop everything before it (and what it started) is killed.", DefaultValueFactory = _ => TimeSpan.FromMinutes(3) };
        var force = new Option<bool>("--force")
        {
            Description = "Also when the controller is gone (killed): stop the processes it recorded in the state folder (processes.json) — SIGTERM, SIGKILL after --grace.",
        };
        var grace = new Option<TimeSpan>("--grace") { Description = "With --force: how long the recorded processes get to exit after SIGTERM.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var down = new Command("down", "Drain and stop every instance, then the gateway and services, then the controller.") { timeout, force, grace };
        down.SetAction(async (parse, cancellationToken) =>
        {
            var stateDirectory = parse.GetValue(state)!;
            var record = ControllerRecord.Read(stateDirectory);
            using var client = ControlClient.ForState(stateDirectory);
            if (record is null || client is null || !record.IsRunning())
            {
                var left = ProcessLedger.Read(stateDirectory).Where(p => p.IsRunning()).ToList();
                if (left.Count == 0)
                {
                    AnsiConsole.MarkupLine("No controller runs there.");
                    return 0;
                }

                var names = Markup.Escape(string.Join(", ", left.Select(p => $"{p.Name} (pid {p.Pid})")));
                if (!parse.GetValue(force))
                {
                    AnsiConsole.MarkupLine($"[red]No controller runs there, but {left.Count} process(es) it started still run[/]: {names}. Stop them with scaleshop cluster down --force.");
                    return 2;
                }

                AnsiConsole.MarkupLine($"The controller is gone; stopping what it left running: {names}");
                await StopLeftoversAsync(stateDirectory, parse.GetValue(grace), cancellationToken);
                return 0;
            }

            await client.SendAsync(HttpMethod.Post, "api/cluster/shutdown", null, cancellationToken);
            using var process = Process.GetProcessById(record.Pid);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(parse.GetValue(timeout));
            try
            {
                await AnsiConsole.Status().StartAsync("Draining and stopping…", _ => process.WaitForExitAsync(wait.Token));
                AnsiConsole.MarkupLine("[green]Cluster down.[/]");
                return 0;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                if (parse.GetValue(force))
                {
                    await StopLeftoversAsync(stateDirectory, parse.GetValue(grace), cancellationToken);
                }

                AnsiConsole.MarkupLine("[red]The controller did not stop in time: killed with everything it started.[/]");
                return 2;
            }
        });
        return down;
    }

    /// <summary>The children a dead controller recorded: stopped, then its stale records removed.</summary>
    private static async Task StopLeftoversAsync(string stateDirectory, TimeSpan grace, CancellationToken cancellationToken)
    {
        var killed = await ChildProcess.StopRecordedAsync(ProcessLedger.Read(stateDirectory), grace, cancellationToken);
        foreach (var process in killed)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(process.Name)} (pid {process.Pid}) did not exit within {grace} of SIGTERM: killed[/]");
        }

        File.Delete(Path.Combine(stateDirectory, ProcessLedger.FileName));
        File.Delete(Path.Combine(stateDirectory, ControllerRecord.FileName));
        AnsiConsole.MarkupLine("[green]Cluster down[/] (forced).");
    }

    private static Command Publish(Option<string> state)
    {
        var version = new Argument<string>("version") { Description = "The version's name (letters, digits, '.', '-', '_')." };
        var from = new Option<string?>("--from") { Description = "Copy this storefront build output instead of running dotnet publish." };
        var environment = new Option<string[]>("--env") { Description = "KEY=VALUE settings this release's instances get (repeatable), e.g. Chaos__Enabled=true.", AllowMultipleArgumentsPerToken = false };
        var publish = new Command("publish", "Make a version: <state>/versions/<version>/ with the storefront build and release.json.") { version, from, environment };
        publish.SetAction(async (parse, cancellationToken) =>
        {
            var store = new VersionStore(Path.Combine(parse.GetValue(state)!, "versions"));
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(environment) ?? [])
            {
                var parts = pair.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0)
                {
                    AnsiConsole.MarkupLine($"[red]--env {Markup.Escape(pair)}[/]: expected KEY=VALUE.");
                    return 2;
                }

                overrides[parts[0]] = parts[1];
            }

            try
            {
                var manifest = parse.GetValue(from) is { } build
                    ? store.PublishFrom(parse.GetValue(version)!, build, overrides)
                    : await store.PublishProjectAsync(parse.GetValue(version)!, Path.Combine(RepositoryRoot.Find(), "src", "ScaleShop.Storefront", "ScaleShop.Storefront.csproj"),
                        "Release", overrides, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"), cancellationToken);
                AnsiConsole.MarkupLine($"Published [green]{Markup.Escape(manifest.Version)}[/] in {Markup.Escape(store.PathOf(manifest.Version))}");
                return 0;
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or IOException)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(exception.Message)}[/]");
                return 2;
            }
        });
        return publish;
    }

    private static Command Deploy(Option<string> state)
    {
        var version = new Argument<string>("version") { Description = "A published version." };
        var detach = new Option<bool>("--no-wait") { Description = "Start the rollout and return." };
        var deploy = new Command("deploy", "Roll out a version: canary under analysis, then one instance at a time; rolled back automatically on a failing canary.") { state, version, detach };
        deploy.SetAction(async (parse, cancellationToken) =>
        {
            using var client = Require(parse.GetValue(state)!);
            var (status, body) = await client.SendAsync(HttpMethod.Post, "api/cluster/deployments", new DeployRequest(parse.GetValue(version)), cancellationToken);
            if (status != 202)
            {
                return Problem(status, body);
            }

            if (parse.GetValue(detach))
            {
                AnsiConsole.MarkupLine($"Rollout {body.GetProperty("id")} started; follow it with scaleshop cluster status.");
                return 0;
            }

            var seen = 0;
            while (true)
            {
                await Task.Delay(PollInterval, cancellationToken);
                var rollout = await client.GetAsync<RolloutView>("api/cluster/deployments/current", cancellationToken);
                foreach (var verdict in rollout.Verdicts.Skip(seen))
                {
                    AnsiConsole.MarkupLine($"  {verdict.At:HH:mm:ss} canary [bold]{verdict.Outcome}[/]: {Markup.Escape(verdict.Summary)}");
                }

                seen = rollout.Verdicts.Count;
                if (rollout.Finished)
                {
                    var colour = rollout.Phase == nameof(RolloutPhase.Promoted) ? "green" : "red";
                    AnsiConsole.MarkupLine($"[{colour}]{rollout.Phase}[/] {Markup.Escape(rollout.From)} → {Markup.Escape(rollout.To)}"
                        + (rollout.RolledBackBy is { } cause ? $" (by {Markup.Escape(cause)})" : "") + $": {Markup.Escape(rollout.Message ?? "")}");
                    return rollout.Phase == nameof(RolloutPhase.Promoted) ? 0 : 3;
                }
            }
        });
        return deploy;
    }

    private static Command Rollback(Option<string> state)
    {
        var rollback = new Command("rollback", "Back to the previous version: instant while it is kept warm after a promotion; aborts a rollout in progress.") { state };
        rollback.SetAction(async (parse, cancellationToken) =>
        {
            using var client = Require(parse.GetValue(state)!);
            var (status, body) = await client.SendAsync(HttpMethod.Post, "api/cluster/rollback", null, cancellationToken);
            if (status != 200)
            {
                return Problem(status, body);
            }

            var view = body.Deserialize<RollbackView>(ControlClient.Json)!;
            AnsiConsole.MarkupLine($"[green]Rolled back[/] {Markup.Escape(view.From)} → {Markup.Escape(view.To)} in {view.ElapsedMs:0} ms ({Markup.Escape(view.How)})");
            return 0;
        });
        return rollback;
    }

    private static Command Scale(Option<string> state)
    {
        var instances = new Argument<int>("instances") { Description = "Instances of the current version." };
        var scale = new Command("scale", "Set the number of storefront instances (new ones join when ready, removed ones drain first).") { state, instances };
        scale.SetAction(async (parse, cancellationToken) =>
        {
            using var client = Require(parse.GetValue(state)!);
            var (status, body) = await client.SendAsync(HttpMethod.Put, "api/cluster/scale", new ScaleRequest(parse.GetValue(instances)), cancellationToken);
            if (status != 200)
            {
                return Problem(status, body);
            }

            AnsiConsole.MarkupLine($"{body.GetProperty("instances")} instance(s) serving.");
            return 0;
        });
        return scale;
    }

    private static Command Autoscale(Option<string> state)
    {
        var mode = new Argument<string>("mode") { Description = "on or off." };
        mode.AcceptOnlyFromAmong("on", "off");
        var autoscale = new Command("autoscale", "Switch the autoscaler on or off.") { state, mode };
        autoscale.SetAction(async (parse, cancellationToken) =>
        {
            using var client = Require(parse.GetValue(state)!);
            var (status, body) = await client.SendAsync(HttpMethod.Put, "api/cluster/autoscale", new AutoscaleRequest(parse.GetValue(mode) == "on"), cancellationToken);
            if (status != 200)
            {
                return Problem(status, body);
            }

            AnsiConsole.MarkupLine($"Autoscaling {(body.GetProperty("enabled").GetBoolean() ? "on" : "off")}.");
            return 0;
        });
        return autoscale;
    }

    private static void Render(ClusterStatus status)
    {
        AnsiConsole.MarkupLine($"[bold]{status.Phase}[/] {Markup.Escape(status.Message ?? "")} — public {Markup.Escape(status.PublicUrl)}, current version [green]{Markup.Escape(status.CurrentVersion ?? "none")}[/]"
            + (status.Warm is { } warm ? $", {Markup.Escape(warm.Version)} warm until {warm.Until.ToLocalTime():HH:mm:ss}" : ""));
        var table = new Table().AddColumns("instance", "version", "address", "state", "weight", "pid");
        foreach (var instance in status.Instances)
        {
            table.AddRow(Markup.Escape(instance.Id), Markup.Escape(instance.Version), Markup.Escape(instance.Address), instance.Exited ? "[red]exited[/]" : instance.State,
                instance.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture), instance.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var part in status.FixedParts)
        {
            table.AddRow(Markup.Escape(part.Name), "", Markup.Escape(part.Address), part.Running ? "Running" : "[red]down[/]", "", part.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        AnsiConsole.Write(table);
        if (status.Rollout is { } rollout)
        {
            AnsiConsole.MarkupLine($"Rollout {rollout.Id}: {Markup.Escape(rollout.From)} → {Markup.Escape(rollout.To)} [bold]{rollout.Phase}[/] {Markup.Escape(rollout.Message ?? "")}");
            if (rollout.RolledBackBy is { } cause)
            {
                AnsiConsole.MarkupLine($"  rolled back by [bold]{Markup.Escape(cause)}[/]" + (rollout.Decision is { } decision
                    ? $" on the verdict of {decision.At.ToLocalTime():HH:mm:ss} (errors {decision.Errors}, latency {decision.Latency}): {Markup.Escape(decision.Summary)}"
                    : ""));
            }
            else if (rollout.Verdicts.Count > 0)
            {
                var last = rollout.Verdicts[^1];
                AnsiConsole.MarkupLine($"  last verdict {last.Outcome} (errors {last.Errors}, latency {last.Latency}): {Markup.Escape(last.Summary)}");
            }
        }

        var scaler = status.Autoscale;
        AnsiConsole.MarkupLine($"Autoscaler {(scaler.Enabled ? "on" : "off")}" + (scaler.Desired is { } desired ? $": {scaler.ObservedPerSecond:0.0} req/s, {scaler.Current} → {desired} ({Markup.Escape(scaler.Reason ?? "")})" : ""));
    }

    private static async Task<ClusterStatus?> TryStatusAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        using var client = ControlClient.ForState(stateDirectory);
        if (client is null)
        {
            return null;
        }

        try
        {
            return await client.GetAsync<ClusterStatus>("api/cluster", cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static ControlClient Require(string stateDirectory) =>
        ControlClient.ForState(stateDirectory) ?? throw new InvalidOperationException($"No cluster runs on {stateDirectory}: scaleshop cluster up --state {stateDirectory}");

    private static int Problem(int status, JsonElement body)
    {
        var detail = body.ValueKind == JsonValueKind.Object
            ? body.TryGetProperty("detail", out var d) ? d.ToString() : body.TryGetProperty("errors", out var e) ? e.ToString() : body.ToString()
            : "";
        AnsiConsole.MarkupLine($"[red]{status}[/] {Markup.Escape(detail)}");
        return 2;
    }

    /// <summary>The controller in a session of its own (setsid): it outlives this command and the terminal.</summary>
    private static int StartDetached(string assembly, IReadOnlyDictionary<string, string> settings, string log)
    {
        var start = new ProcessStartInfo("setsid", ["sh", "-c", "exec dotnet \"$0\" >>\"$1\" 2>&1 </dev/null", assembly, log]) { UseShellExecute = false };
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("setsid did not start.");
        return process.Id; // exec keeps the pid: setsid (no fork: not a group leader) → sh → dotnet
    }

    private static string ControllerAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(RepositoryRoot.Find(), "src", "ScaleShop.Cluster", "bin", configuration, "net10.0", "ScaleShop.Cluster.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the controller first: {path} is missing.", path);
    }
}
