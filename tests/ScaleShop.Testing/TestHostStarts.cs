namespace ScaleShop.Testing;

/// <summary>
/// Starts in-process test hosts one at a time. WebApplicationFactory finds the host a Program builds through a
/// process-wide diagnostic listener; two hosts of different programs (the storefront, the payment provider)
/// starting at the same moment on parallel test classes could be handed each other's host
/// ("IServerAddressesFeature.Addresses cannot be modified after the server has started").
/// </summary>
public static class TestHostStarts
{
    private static readonly Lock Gate = new();

    public static void Run(Action start)
    {
        lock (Gate)
        {
            start();
        }
    }
}
