namespace ScaleShop.Testing;

/// <summary>
/// Starts in-process test hosts one at a time, and once more if WebApplicationFactory lost the race with the
/// program it starts. WAF captures the host a Program builds through a process-wide diagnostic listener: it takes
/// the next host built anywhere in the process. A host a test builds for itself (a webhook or OTLP receiver on real
/// Kestrel) built while a factory starts is taken for the factory's; the factory then gets a host whose server is
/// already running ("IServerAddressesFeature.Addresses cannot be modified after the server has started") or, once
/// the test has disposed it, an ObjectDisposedException for its IServiceProvider (seen in CI: two fixtures of one
/// PostgreSQL pass). So such hosts are built under the same gate (<see cref="Build{T}"/>), and a factory that still
/// loses the race is started once more; nothing of the failed attempt is kept, the second attempt builds a new host.
/// </summary>
public static class TestHostStarts
{
    private static readonly Lock Gate = new();

    public static void Run(Action start)
    {
        lock (Gate)
        {
            try
            {
                start();
            }
            catch (InvalidOperationException exception) when (LostTheRace(exception))
            {
                start();
            }
        }
    }

    /// <summary>Builds a host that is not a factory's (a test's own Kestrel) under the gate, so no factory starting beside it takes it.</summary>
    public static T Build<T>(Func<T> build)
    {
        lock (Gate)
        {
            return build();
        }
    }

    private static bool LostTheRace(InvalidOperationException exception) =>
        exception.Message.Contains("cannot be modified after the server has started", StringComparison.Ordinal)
        || exception is ObjectDisposedException { ObjectName: "IServiceProvider" };
}
