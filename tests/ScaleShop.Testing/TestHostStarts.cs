namespace ScaleShop.Testing;

/// <summary>
/// Starts in-process test hosts one at a time, and once more if WebApplicationFactory lost the race with the
/// program it starts. WAF captures the host a Program builds through a process-wide diagnostic listener; now and
/// then (about one fixture in a few hundred here, seen with several programs in one test process) it gets a host
/// whose server is already running and fails with "IServerAddressesFeature.Addresses cannot be modified after the
/// server has started", or one already disposed, and fails in the same place (configuring the server's port) with
/// an ObjectDisposedException for the IServiceProvider (seen once in CI, failing a whole test class). Nothing of the
/// failed attempt is kept: the second attempt builds a new host.
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

    private static bool LostTheRace(InvalidOperationException exception) =>
        exception.Message.Contains("cannot be modified after the server has started", StringComparison.Ordinal)
        || exception is ObjectDisposedException { ObjectName: "IServiceProvider" };
}
