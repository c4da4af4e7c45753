using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// The storefront's own build output (or another ScaleShop program's: <see cref="StartServiceAsync"/>) run with
/// <c>dotnet</c>, configured through environment variables.
/// </summary>
public sealed class StorefrontProcess
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private StorefrontProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    /// <summary>What the process wrote to stdout and stderr so far, line by line.</summary>
    public IReadOnlyCollection<string> Output => _output;

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>
    /// Starts the storefront on a free port and waits until it is ready. The port is free when chosen but not held,
    /// so another process may take it first: then this one cannot bind and exits, and another port is tried. Ready
    /// means the answer came from this process (it logged that it listens there), never from whoever holds the port.
    /// </summary>
    public static Task<StorefrontProcess> StartAsync(string dataDirectory, Uri paymentProvider, Uri recommendations, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken) =>
        StartAsync("ScaleShop.Storefront", StorefrontApp.Settings(dataDirectory, paymentProvider, recommendations), environment, cancellationToken);

    /// <summary>
    /// Another ScaleShop process (e.g. <c>ScaleShop.PaymentProvider</c>) from its build output, started and awaited the
    /// same way, with <paramref name="settings"/> (configuration keys) and <paramref name="environment"/> (variables).
    /// </summary>
    public static Task<StorefrontProcess> StartServiceAsync(string project, IReadOnlyDictionary<string, string?> settings, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken) =>
        StartAsync(project, settings, environment, cancellationToken);

    private static async Task<StorefrontProcess> StartAsync(string project, IReadOnlyDictionary<string, string?> settings, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var storefront = Launch(project, settings, environment);
            if (await storefront.WaitUntilReadyAsync(cancellationToken))
            {
                return storefront;
            }

            var portTaken = storefront.Output.Any(line => line.Contains("address already in use", StringComparison.OrdinalIgnoreCase));
            Assert.True(portTaken && attempt < MaxStartAttempts,
                $"The {project} process exited with {storefront._process.ExitCode} while starting:\n{string.Join("\n", storefront.Output.TakeLast(30))}");
        }
    }

    private const int MaxStartAttempts = 3;

    private static StorefrontProcess Launch(string project, IReadOnlyDictionary<string, string?> settings, IReadOnlyDictionary<string, string> environment)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo("dotnet", [Assembly(project)]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        // The line that says which address this process bound (the tests' settings log only warnings otherwise).
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var storefront = new StorefrontProcess(process, address);
        process.OutputDataReceived += (_, line) => storefront.Record(line.Data);
        process.ErrorDataReceived += (_, line) => storefront.Record(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return storefront;
    }

    /// <summary>True once this process listens on its address and reports ready; false if it exited first.</summary>
    private async Task<bool> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var listening = "Now listening on: " + Address.GetLeftPart(UriPartial.Authority);
        using var probe = new HttpClient { BaseAddress = Address };
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                if (Output.Any(line => line.Contains(listening, StringComparison.Ordinal))
                    && (await probe.GetAsync("/health/ready", cancellationToken)).IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"The process was not ready in {StartTimeout}.");
            await Task.Delay(200, cancellationToken);
        }
    }

    public async Task<HttpClient> SignedInAsync(string email, string password, CancellationToken cancellationToken)
    {
        using var anonymous = new HttpClient { BaseAddress = Address };
        var response = await anonymous.PostAsJsonAsync("/api/v1/sessions", new { email, password }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<StorefrontApp.TokenDto>(cancellationToken);
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        return client;
    }

    /// <summary>SIGTERM, as Kubernetes sends before it removes a pod: the process should drain and exit by itself.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Waits for the process to exit; its exit code, or null if it did not exit in time.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no graceful shutdown, no flushing, nothing the process could finish.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The project's program (the storefront's, the payment provider's, ...) built in the same configuration as this test assembly.</summary>
    private static string Assembly(string project)
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(RepositoryRoot.Path, "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Build {project} first: {path} is missing.");
    }
}
