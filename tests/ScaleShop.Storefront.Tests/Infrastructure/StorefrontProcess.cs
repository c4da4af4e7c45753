using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>The storefront's own build output run with <c>dotnet</c>, configured through environment variables.</summary>
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

    public static async Task<StorefrontProcess> StartAsync(string dataDirectory, Uri paymentProvider, Uri recommendations, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo("dotnet", [StorefrontAssembly()]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in StorefrontApp.Settings(dataDirectory, paymentProvider, recommendations))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
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
        using var probe = new HttpClient { BaseAddress = address };
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (true)
        {
            Assert.False(process.HasExited, $"The storefront process exited with {(process.HasExited ? process.ExitCode : 0)} while starting.");
            try
            {
                if ((await probe.GetAsync("/health/ready", cancellationToken)).IsSuccessStatusCode)
                {
                    return storefront;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"The storefront process was not ready in {StartTimeout}.");
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

    /// <summary>The storefront built in the same configuration as this test assembly.</summary>
    private static string StorefrontAssembly()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(RepositoryRoot.Path, "src", "ScaleShop.Storefront", "bin", configuration, "net10.0", "ScaleShop.Storefront.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Build the storefront first: {path} is missing.");
    }
}
