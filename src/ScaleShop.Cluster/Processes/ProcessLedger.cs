using System.Diagnostics;
using System.Text.Json;

namespace ScaleShop.Cluster.Processes;

/// <summary>A child the controller started: its pid, and when it started (so a pid reused by another process is not mistaken for it).</summary>
public sealed record RecordedProcess(string Name, int Pid, DateTime StartedAtUtc)
{
    /// <summary>True when <see cref="Pid"/> is still this process: alive, and started at the recorded time (to the second).</summary>
    public bool IsRunning()
    {
        try
        {
            using var process = Process.GetProcessById(Pid);
            return !process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - StartedAtUtc).TotalSeconds) < 1;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// <c>&lt;state&gt;/processes.json</c>: every child the controller has running, rewritten as they start and exit. The
/// children outlive a controller that is SIGKILLed (they are not in its lifetime); <c>cluster down --force</c> reads
/// this file to stop them.
/// </summary>
public sealed class ProcessLedger(string stateDirectory)
{
    public const string FileName = "processes.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();
    private readonly Dictionary<int, RecordedProcess> _running = [];

    public string Path { get; } = System.IO.Path.Combine(stateDirectory, FileName);

    public static IReadOnlyList<RecordedProcess> Read(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<List<RecordedProcess>>(File.ReadAllText(path), Json) ?? [] : [];
        }
        catch (JsonException)
        {
            return []; // torn by a crash mid-write: nothing trustworthy to act on
        }
    }

    public void Add(string name, Process process)
    {
        lock (_lock)
        {
            _running[process.Id] = new RecordedProcess(name, process.Id, process.StartTime.ToUniversalTime());
            Save();
        }
    }

    public void Remove(int pid)
    {
        lock (_lock)
        {
            if (_running.Remove(pid))
            {
                Save();
            }
        }
    }

    /// <summary>Everything stopped (the controller's own shutdown): the file goes.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _running.Clear();
            try
            {
                File.Delete(Path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // as in Save
            }
        }
    }

    private void Save()
    {
        // Written aside and moved over: a reader never sees half a file. Called from process-exit events too, where
        // an exception would take the controller down: a ledger that cannot be written only weakens `down --force`.
        var temporary = Path + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(_running.Values.OrderBy(p => p.Pid).ToList(), Json));
            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // the state folder is gone or read-only
        }
    }
}
