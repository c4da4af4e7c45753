using System.Net;
using System.Net.Sockets;

namespace ScaleShop.Cluster.Processes;

/// <summary>A loopback port nothing listens on now (the OS picks it), for a process about to start.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
