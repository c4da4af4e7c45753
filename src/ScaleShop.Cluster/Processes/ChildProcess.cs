using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ScaleShop.Cluster.Processes;

/// <summary>
/// One process the controller started (<c>dotnet some.dll</c>): its output goes to a log file of its own, it is
/// stopped as Kubernetes stops a pod — SIGTERM, then SIGKILL when it has not exited in time.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static ChildProcess Start(string name, string assembly, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{name}: {assembly} does not exist (build it, or publish the version).", assembly);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            // Relative paths in a child's settings follow its own folder, never the controller's.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name}: dotnet did not start.");
        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, line) => child.Write(line.Data);
        process.ErrorDataReceived += (_, line) => child.Write(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGTERM, then up to <paramref name="timeout"/> to exit by itself (drain, finish in-flight work), then SIGKILL.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (Terminate(_process.Id, SigTerm) != 0 && !_process.HasExited)
        {
            Kill();
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Write($"[controller] {Name} did not exit within {timeout} of SIGTERM: killed");
            Kill();
        }
    }

    /// <summary>SIGKILL of the process and anything it started.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_logLock)
        {
            _log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // the last lines after Dispose
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Terminate(int pid, int signal);
}
