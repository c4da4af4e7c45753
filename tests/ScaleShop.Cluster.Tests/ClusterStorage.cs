using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ScaleShop.Data;

namespace ScaleShop.Cluster.Tests;

/// <summary>The databases a cluster's storefront instances share, opened from the test to check what they hold.</summary>
public static class ClusterStorage
{
    /// <summary>The data tier on <paramref name="settings"/> (a cluster's storage settings); dispose it when done.</summary>
    public static ServiceProvider Open(IReadOnlyDictionary<string, string?> settings) =>
        new ServiceCollection().AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddScaleShopData(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
}
