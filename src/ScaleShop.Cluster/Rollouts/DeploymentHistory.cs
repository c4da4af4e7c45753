using System.Text.Json;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Hosting;

namespace ScaleShop.Cluster.Rollouts;

/// <summary>
/// The versions that served, in order (<c>&lt;state&gt;/history.json</c>): what a <c>-- contract: v</c> migration
/// header is checked against, and what a controller restarted on the same state folder starts again.
/// </summary>
public sealed class DeploymentHistory
{
    private readonly string _path;
    private readonly Lock _lock = new();
    private readonly List<string> _versions;

    public DeploymentHistory(IOptions<ClusterOptions> options)
    {
        _path = Path.Combine(options.Value.StateDirectory, "history.json");
        _versions = File.Exists(_path) ? JsonSerializer.Deserialize<List<string>>(File.ReadAllText(_path)) ?? [] : [];
    }

    public IReadOnlyList<string> Versions
    {
        get
        {
            lock (_lock)
            {
                return _versions.ToList();
            }
        }
    }

    public string? Current => Versions.LastOrDefault();

    public void Record(string version)
    {
        lock (_lock)
        {
            if (_versions.LastOrDefault() == version)
            {
                return;
            }

            _versions.Add(version);
            File.WriteAllText(_path, JsonSerializer.Serialize(_versions));
        }
    }
}
