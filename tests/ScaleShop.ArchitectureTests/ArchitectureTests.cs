using System.Reflection;
using NetArchTest.Rules;

namespace ScaleShop.ArchitectureTests;

/// <summary>
/// The boundaries that keep ScaleShop able to grow: domain and data code that knows nothing of HTTP, a data
/// tier whose provider is chosen by configuration (no feature may touch a driver), thin endpoints without
/// SQL, and modules that depend in one direction only.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Storefront = typeof(ScaleShop.Storefront.Catalog.CatalogService).Assembly;
    private static readonly Assembly Data = typeof(ScaleShop.Data.IDatabaseRouter).Assembly;
    private static readonly Assembly ServiceDefaults = typeof(ScaleShop.ServiceDefaults.ServiceDefaultsExtensions).Assembly;
    private static readonly Assembly Load = typeof(ScaleShop.Load.LoadEngine).Assembly;
    private static readonly Assembly Slo = typeof(ScaleShop.Slo.SloObjectives).Assembly;
    private static readonly Assembly Resilience = typeof(ScaleShop.Resilience.ChaosSwitchboard).Assembly;
    private static readonly Assembly RecommendationsService = typeof(ScaleShop.RecommendationsService.RecommendationsServiceEntryPoint).Assembly;
    private static readonly Assembly PaymentProvider = typeof(ScaleShop.PaymentProvider.PaymentProviderEntryPoint).Assembly;
    private static readonly Assembly Gateway = typeof(ScaleShop.Gateway.GatewayEntryPoint).Assembly;
    private static readonly Assembly ChaosExperiments = typeof(ScaleShop.Chaos.ExperimentRunner).Assembly;
    private static readonly Assembly Deployment = typeof(ScaleShop.Deployment.Canary.CanaryAnalysis).Assembly;

    private static readonly string[] HttpNamespaces =
        ["Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Mvc"];

    private static readonly string[] FeatureNamespaces =
        ["Catalog", "Search", "Accounts", "Cart", "Orders", "Recommendations", "Admin", "Caching", "Common", "Messaging", "Chaos", "Resilience", "Observability", "Anomalies", "Web"];

    [Fact]
    public void The_data_tier_knows_nothing_of_ASP_NET_Core()
    {
        var result = Types.InAssembly(Data).ShouldNot().HaveDependencyOnAny("Microsoft.AspNetCore").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void The_objectives_arithmetic_stands_alone_for_the_service_the_CLI_and_the_load_generator()
    {
        var result = Types.InAssembly(Slo).ShouldNot().HaveDependencyOnAny("Microsoft.AspNetCore", "ScaleShop.Storefront", "ScaleShop.Data", "ScaleShop.Load").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Deployment_decisions_are_pure_logic_that_any_controller_can_call()
    {
        // The canary verdict, the autoscaler and the budget gate decide; the cluster controller acts. Keeping HTTP,
        // storage and the service out lets every decision be tested with numbers alone.
        var result = Types.InAssembly(Deployment).ShouldNot()
            .HaveDependencyOnAny("Microsoft.AspNetCore", "ScaleShop.Storefront", "ScaleShop.Data", "ScaleShop.Load", "System.Net.Http", "System.IO").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Services_stores_and_models_know_nothing_of_HTTP()
    {
        var result = Types.InAssembly(Storefront)
            .That().ResideInNamespaceStartingWith("ScaleShop.Storefront.")
            .And().DoNotResideInNamespace("ScaleShop.Storefront.Hosting")
            .And().DoNotResideInNamespace("ScaleShop.Storefront.Common.Http")
            .And().DoNotResideInNamespaceStartingWith("ScaleShop.Storefront.Web")
            .ShouldNot().HaveDependencyOnAny(HttpNamespaces).GetResult();
        var violations = (result.FailingTypeNames ?? []).Where(name => !IsHttpFacing(name)).ToList();
        Assert.True(violations.Count == 0, "These types reach into HTTP: " + string.Join(", ", violations));
    }

    [Fact]
    public void Web_pages_are_as_thin_as_endpoints_and_no_feature_depends_on_them()
    {
        // Pages are the web's endpoints: they call the features' services and render; SQL, connections and the
        // data tier's routing stay behind those services. And the dependency goes one way: no feature knows a page.
        var thin = Types.InAssembly(Storefront).That().ResideInNamespaceStartingWith("ScaleShop.Storefront.Web")
            .ShouldNot().HaveDependencyOnAny("Dapper", "System.Data", "ScaleShop.Data.IDatabaseRouter", "ScaleShop.Data.DataIntent").GetResult();
        Assert.True(thin.IsSuccessful, Describe(thin));
        var oneWay = Types.InAssembly(Storefront).That().ResideInNamespaceStartingWith("ScaleShop.Storefront.")
            .And().DoNotResideInNamespaceStartingWith("ScaleShop.Storefront.Web")
            .ShouldNot().HaveDependencyOn("ScaleShop.Storefront.Web").GetResult();
        Assert.True(oneWay.IsSuccessful, Describe(oneWay));
    }

    [Fact]
    public void Features_reach_databases_only_through_the_data_tier()
    {
        var result = Types.InAssembly(Storefront).ShouldNot().HaveDependencyOnAny("Microsoft.Data.Sqlite", "Npgsql").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Endpoints_hold_no_SQL()
    {
        var result = Types.InAssembly(Storefront).That().HaveNameEndingWith("Api").ShouldNot().HaveDependencyOnAny("Dapper", "System.Data").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Service_defaults_depend_on_no_ScaleShop_service()
    {
        var result = Types.InAssembly(ServiceDefaults).ShouldNot().HaveDependencyOnAny("ScaleShop.Data", "ScaleShop.Storefront").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void The_load_generator_reaches_the_storefront_only_over_HTTP()
    {
        // It may know the seeding conventions (who the seeded users are, what the catalog's words are), never the
        // service's code or its databases: what it measures must be what a client sees.
        var result = Types.InAssembly(Load).ShouldNot()
            .HaveDependencyOnAny("ScaleShop.Storefront", "ScaleShop.Data.Sharding", "ScaleShop.Data.Sqlite", "ScaleShop.Data.Postgres", "Npgsql", "Microsoft.Data.Sqlite", "Dapper")
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Chaos_experiments_reach_the_storefront_only_over_HTTP()
    {
        // Like the load generator: what an experiment judges must be what a client sees. It may hash a seeded
        // user's e-mail with the service's placement function (ShardKeys) to know whose shard is broken, and
        // nothing else of the data tier.
        var result = Types.InAssembly(ChaosExperiments).ShouldNot()
            .HaveDependencyOnAny("ScaleShop.Storefront", "ScaleShop.Data.Sqlite", "ScaleShop.Data.Postgres", "ScaleShop.Data.Sharding.Resharding", "Npgsql", "Microsoft.Data.Sqlite", "Dapper")
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Theory]
    [InlineData("Catalog", new[] { "Cart", "Orders", "Accounts", "Search", "Recommendations", "Admin" })]
    [InlineData("Search", new[] { "Cart", "Orders", "Accounts", "Recommendations", "Admin" })]
    [InlineData("Cart", new[] { "Orders", "Search", "Recommendations", "Admin" })]
    [InlineData("Accounts", new[] { "Catalog", "Cart", "Orders", "Search", "Recommendations", "Admin" })]
    [InlineData("Recommendations", new[] { "Cart", "Orders", "Accounts", "Search", "Admin" })]
    public void Module_internals_depend_in_one_direction(string module, string[] forbidden)
    {
        var result = Types.InAssembly(Storefront).That().ResideInNamespace($"ScaleShop.Storefront.{module}")
            .ShouldNot().HaveDependencyOnAny(forbidden.Select(f => $"ScaleShop.Storefront.{f}").ToArray()).GetResult();
        // Endpoints of any module may name the Accounts policies and read the signed-in user; module internals may not reach downstream.
        var violations = (result.FailingTypeNames ?? []).Where(name => !IsHttpFacing(name)).ToList();
        Assert.True(violations.Count == 0, $"{module} depends on a module downstream of it: " + string.Join(", ", violations));
    }

    [Fact]
    public void Messaging_is_infrastructure_that_no_feature_depends_back_on()
    {
        // Publishers and consumers share only the event contracts in Messaging; Messaging itself knows no feature.
        var result = Types.InAssembly(Storefront).That().ResideInNamespaceStartingWith("ScaleShop.Storefront.Messaging")
            .ShouldNot().HaveDependencyOnAny(new[] { "Catalog", "Search", "Accounts", "Cart", "Orders", "Recommendations", "Admin" }
                .Select(f => $"ScaleShop.Storefront.{f}").ToArray()).GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Shared_resilience_knows_no_ScaleShop_project_and_no_HTTP_surface()
    {
        // Every process and the data tier use it, so it must depend on none of them.
        var result = Types.InAssembly(Resilience).ShouldNot()
            .HaveDependencyOnAny("ScaleShop.Data", "ScaleShop.Storefront", "ScaleShop.ServiceDefaults", "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Separate_services_share_no_code_with_the_storefront_only_HTTP()
    {
        // A process whose failure must stay isolated shares no assembly with what it is isolated from: the
        // contract between them is HTTP (and events), so either side can be deployed, scaled or broken alone.
        foreach (var service in new[] { RecommendationsService, PaymentProvider, Gateway })
        {
            var result = Types.InAssembly(service).ShouldNot().HaveDependencyOnAny("ScaleShop.Storefront", "ScaleShop.Data", "ScaleShop.Resilience").GetResult();
            Assert.True(result.IsSuccessful, Describe(result));
        }

        var storefront = Types.InAssembly(Storefront).ShouldNot().HaveDependencyOnAny("ScaleShop.RecommendationsService", "ScaleShop.PaymentProvider", "ScaleShop.Gateway").GetResult();
        Assert.True(storefront.IsSuccessful, Describe(storefront));
    }

    [Fact]
    public void Every_capability_has_its_folder()
    {
        var namespaces = Storefront.GetTypes().Select(t => t.Namespace).OfType<string>().ToHashSet();
        Assert.All(FeatureNamespaces, feature => Assert.Contains($"ScaleShop.Storefront.{feature}", namespaces));
    }

    // Endpoint classes (*Api) and feature registration (*Extensions), with their compiler-generated nested types.
    private static bool IsHttpFacing(string fullName)
    {
        var topLevel = fullName.Split('/', '+')[0];
        var name = topLevel[(topLevel.LastIndexOf('.') + 1)..];
        return name.EndsWith("Api", StringComparison.Ordinal) || name.EndsWith("Extensions", StringComparison.Ordinal);
    }

    private static string Describe(NetArchTest.Rules.TestResult result) => "Failing types: " + string.Join(", ", result.FailingTypeNames ?? []);
}
