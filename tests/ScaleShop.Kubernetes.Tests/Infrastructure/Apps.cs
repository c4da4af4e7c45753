using System.Reflection;
using ScaleShop.Data;
using ScaleShop.ServiceDefaults;

namespace ScaleShop.Kubernetes.Tests.Infrastructure;

/// <summary>
/// The ScaleShop processes the manifests run (all of them ServiceDefaults processes: the same probes, metrics and
/// shutdown), each with the workload and container that runs it and, where its code is on this branch, the
/// configuration it binds. The gateway's code is not (it is written in parallel): its settings are not checked.
/// </summary>
internal sealed record App(string Workload, string Container, ConfigurationModel? Configuration)
{
    public static readonly App Storefront = new("storefront", "storefront", Model(
        "src/ScaleShop.Storefront",
        typeof(ScaleShop.Storefront.Accounts.AuthOptions).Assembly,
        typeof(StorageOptions).Assembly,
        typeof(ShutdownOptions).Assembly,
        typeof(ScaleShop.Resilience.ChaosOptions).Assembly));

    public static readonly App Recommendations = new("recommendations", "recommendations", Model(
        "src/ScaleShop.RecommendationsService",
        typeof(ScaleShop.RecommendationsService.RecommendationsServiceEntryPoint).Assembly,
        typeof(ShutdownOptions).Assembly));

    public static readonly App PaymentProvider = new("payment-provider", "payment-provider", Model(
        "src/ScaleShop.PaymentProvider",
        typeof(ScaleShop.PaymentProvider.PaymentProviderEntryPoint).Assembly,
        typeof(ShutdownOptions).Assembly));

    /// <summary>Assumed to be a ServiceDefaults process (probes, drain); its configuration keys are not known here.</summary>
    public static readonly App Gateway = new("gateway", "gateway", null);

    public static IReadOnlyList<App> All { get; } = [Storefront, Gateway, Recommendations, PaymentProvider];

    public static App ByWorkload(string workload) => All.Single(a => a.Workload == workload);

    /// <summary>(overlay, workload) of every process an overlay runs that <paramref name="include"/> accepts: test cases.</summary>
    public static TheoryData<string, string> InOverlays(Func<App, bool> include)
    {
        var data = new TheoryData<string, string>();
        foreach (var overlay in new[] { Overlay.Staging, Overlay.Production })
        {
            foreach (var app in All.Where(a => include(a) && Overlay.Get(overlay).Find("Deployment", a.Workload) is not null))
            {
                data.Add(overlay, app.Workload);
            }
        }

        return data;
    }

    private static ConfigurationModel Model(string sourceFolder, Assembly entry, params Assembly[] others) =>
        new([entry, .. others], ConfigurationModel.ConnectionStringNames(Repository.File(sourceFolder), entry).ToList());
}
