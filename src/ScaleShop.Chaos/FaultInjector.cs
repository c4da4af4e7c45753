using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ScaleShop.Chaos;

/// <summary>Carries out faults and their rollbacks: topology.sh verbs for servers, JSON bodies for HTTP fault switches.</summary>
public sealed partial class FaultInjector(StorefrontAdmin storefront, string topologyScript, IReadOnlyDictionary<string, string> variables)
{
    // Starting a stopped PostgreSQL server replays its WAL: generous, but bounded.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Problems that would stop a fault from being carried out (a URL variable nobody set, no topology script), before anything is broken.</summary>
    public IReadOnlyList<string> Check(Experiment experiment)
    {
        var problems = new List<string>();
        for (var i = 0; i < experiment.Faults.Count; i++)
        {
            switch (experiment.Faults[i])
            {
                case HttpFault http:
                    foreach (Match match in Variable().Matches(http.Url))
                    {
                        if (!variables.ContainsKey(match.Groups[1].Value))
                        {
                            problems.Add($"faults[{i}].url: ${{{match.Groups[1].Value}}} is not set; pass --var {match.Groups[1].Value}=URL");
                        }
                    }

                    break;
                case ProcessFault when !File.Exists(topologyScript):
                    problems.Add($"faults[{i}]: the topology script {topologyScript} does not exist (--topology)");
                    break;
            }
        }

        return problems;
    }

    public Task InjectAsync(FaultAction fault, CancellationToken cancellationToken) => fault switch
    {
        ProcessFault process => RunScriptAsync(process.Verb, process.Server, cancellationToken),
        HttpFault http => SendAsync(http.Method, http.Url, http.Body, http.AsAdmin, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, "Unknown fault."),
    };

    public Task RollbackAsync(FaultAction fault, CancellationToken cancellationToken) => fault switch
    {
        ProcessFault process => RunScriptAsync(process.RollbackVerb, process.Server, cancellationToken),
        HttpFault http => SendAsync(http.RollbackMethod, http.Url, http.RollbackBody, http.AsAdmin, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, "Unknown fault."),
    };

    public Uri Resolve(string url) =>
        new(Variable().Replace(url, match => variables.TryGetValue(match.Groups[1].Value, out var value)
            ? value.TrimEnd('/')
            : throw new InvalidOperationException($"${{{match.Groups[1].Value}}} is not set; pass --var {match.Groups[1].Value}=URL")));

    private async Task SendAsync(HttpMethod method, string url, System.Text.Json.JsonElement body, bool asAdmin, CancellationToken cancellationToken)
    {
        var target = Resolve(url);
        using var response = await storefront.SendJsonAsync(method, target, body, asAdmin, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"{method} {target} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
        }
    }

    private async Task RunScriptAsync(string verb, string server, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash", [topologyScript, verb, server]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{topologyScript} {verb} {server} did not finish in {ScriptTimeout.TotalSeconds:0} s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{topologyScript} {verb} {server} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    [GeneratedRegex(@"\$\{([A-Za-z][A-Za-z0-9_]*)\}")]
    private static partial Regex Variable();
}
