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
    private bool _disposed;
    private int? _exitCodeAtDispose;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        Id = process.Id;
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id { get; }

    // Safe after Dispose: an instance's process is disposed by whoever stops it, while others (a warm version's
    // instance list, the supervision loop's snapshot) may still ask whether it runs.
    public bool HasExited
    {
        get
        {
            if (Volatile.Read(ref _disposed))
            {
                return true;
            }

            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true; // disposed between the two reads
            }
        }
    }

    public int? ExitCode => Volatile.Read(ref _disposed) ? _exitCodeAtDispose : HasExited ? _process.ExitCode : null;

    /// <summary>Starts <c>dotnet <paramref name="assembly"/></c>; with a <paramref name="ledger"/>, it is recorded there until it exits.</summary>
    public static ChildProcess Start(string name, string assembly, IReadOnlyDictionary<string, string> environment, string logPath, ProcessLedger? ledger = null)
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
        if (ledger is not null)
        {
            var pid = process.Id;
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => ledger.Remove(pid);
            ledger.Add(name, process);
        }

        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, line) => child.Write(line.Data);
        process.ErrorDataReceived += (_, line) => child.Write(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Stops processes another controller recorded (<see cref="ProcessLedger"/>) as <see cref="StopAsync"/> stops its own:
    /// SIGTERM to each that is still the recorded process, SIGKILL to those still running after <paramref name="grace"/>.
    /// Returns those that had to be killed.
    /// </summary>
    public static async Task<IReadOnlyList<RecordedProcess>> StopRecordedAsync(IReadOnlyList<RecordedProcess> recorded, TimeSpan grace, CancellationToken cancellationToken)
    {
        var running = recorded.Where(p => p.IsRunning()).ToList();
        foreach (var process in running)
        {
            Terminate(process.Pid, SigTerm);
        }

        var deadline = DateTimeOffset.UtcNow + grace;
        while (running.Any(p => p.IsRunning()) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        var killed = running.Where(p => p.IsRunning()).ToList();
        foreach (var process in killed)
        {
            try
            {
                using var left = Process.GetProcessById(process.Pid);
                left.Kill(entireProcessTree: true);
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
            {
                // exited meanwhile
            }
        }

        return killed;
    }

    /// <summary>Whether a process with this id runs (any process: the CLI asks about the controller, tests about every child).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

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
        _exitCodeAtDispose = _process.HasExited ? _process.ExitCode : null;
        Volatile.Write(ref _disposed, true);
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
