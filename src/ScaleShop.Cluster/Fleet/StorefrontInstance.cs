using ScaleShop.Cluster.Processes;

namespace ScaleShop.Cluster.Fleet;

public enum InstanceState
{
    /// <summary>Started, not ready yet: the gateway does not know it.</summary>
    Starting,

    /// <summary>Ready and in the gateway with a weight (0 for a warm previous version).</summary>
    Serving,

    /// <summary>The gateway sends it nothing new; its in-flight requests finish, then it gets SIGTERM.</summary>
    Draining,

    Stopped,
}

/// <summary>One storefront process of one version, on its own port.</summary>
public sealed class StorefrontInstance(string id, string version, Uri address, ChildProcess process)
{
    public string Id { get; } = id;

    public string Version { get; } = version;

    public Uri Address { get; } = address;

    public ChildProcess Process { get; } = process;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public InstanceState State { get; set; } = InstanceState.Starting;

    /// <summary>Its weight at the gateway (what share of traffic it takes against the others).</summary>
    public int Weight { get; set; }

    public InstanceView View() => new(Id, Version, Address.ToString(), State.ToString(), Weight, Process.Id, Process.HasExited, StartedAt);
}

public sealed record InstanceView(string Id, string Version, string Address, string State, int Weight, int Pid, bool Exited, DateTimeOffset StartedAt);
