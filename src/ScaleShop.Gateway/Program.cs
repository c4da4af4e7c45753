using ScaleShop.Gateway;

// The gateway: YARP in front of N storefront instances whose set a deploy controller changes at run time.
GatewayApp.Create(args).Run();

namespace ScaleShop.Gateway
{
    /// <summary>A type of this assembly for test projects that also see other programs.</summary>
    public sealed class GatewayEntryPoint;
}

/// <summary>Internal for the reason the payment provider's is: test projects see several programs.</summary>
internal partial class Program;
