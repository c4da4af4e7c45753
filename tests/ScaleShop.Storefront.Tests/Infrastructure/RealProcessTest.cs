using ScaleShop.Testing;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>For tests that run the storefront as a real process (<see cref="StorefrontProcess"/>): a payment provider, a recommendations service and a data folder of their own.</summary>
public abstract class RealProcessTest : IAsyncLifetime
{
    protected PaymentProviderHost Payments { get; } = new();

    protected RecommendationsHost Recommendations { get; } = new();

    protected string DataDirectory { get; } = StorefrontApp.NewDataDirectory();

    public ValueTask InitializeAsync()
    {
        TestHostStarts.Run(Payments.StartServer);
        TestHostStarts.Run(Recommendations.StartServer);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Payments.DisposeAsync();
        await Recommendations.DisposeAsync();
        await TestStorage.DeleteAsync(DataDirectory);
        GC.SuppressFinalize(this);
    }
}
