using ScaleShop.Testing;

namespace ScaleShop.PaymentProvider.Tests;

/// <summary>The shared provider host as an xunit fixture.</summary>
public sealed class PaymentProviderApp : PaymentProviderHost, IAsyncLifetime;
