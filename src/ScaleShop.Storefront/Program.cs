using ScaleShop.Data;
using ScaleShop.ServiceDefaults;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Admin;
using ScaleShop.Storefront.Anomalies;
using ScaleShop.Storefront.Caching;
using ScaleShop.Storefront.Cart;
using ScaleShop.Storefront.Catalog;
using ScaleShop.Storefront.Chaos;
using ScaleShop.Storefront.Hosting;
using ScaleShop.Storefront.Messaging;
using ScaleShop.Storefront.Observability;
using ScaleShop.Storefront.Orders;
using ScaleShop.Storefront.Recommendations;
using ScaleShop.Storefront.Search;
using ScaleShop.Storefront.Resilience;
using ScaleShop.Storefront.Web;

// Settings ship beside the binary, so the process may start from any folder (relative data paths follow it).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddStorefrontApi();
builder.AddAccounts();
builder.AddStorefrontWeb();
builder.Services.AddScaleShopData(builder.Configuration);
builder.Services.AddStorefrontCaching(builder.Configuration);
builder.Services.AddMessaging(builder.Configuration);
builder.Services.AddChaos(builder.Configuration);
builder.Services.AddServiceProtection(builder.Configuration);
builder.Services.AddObservability(builder.Configuration);
builder.Services.AddAnomalies(builder.Configuration);
builder.Services.AddOpsDashboard(builder.Configuration);
builder.Services.AddCatalog(builder.Configuration).AddSearch().AddCart(builder.Configuration).AddOrders(builder.Configuration).AddRecommendations(builder.Configuration).AddAdmin();

var app = builder.Build();
app.UseJourneyMetrics();
app.UseProblemDetailsForErrors();
app.UseGracefulShutdown();
app.UseOpsDashboardPage();
app.UseConsistencyCookie();
app.UseConsistencyTokens();
app.UseAuthentication();
app.UseServiceProtection();
app.UseStorefrontWeb();
app.UseAuthorization();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapOpsApi();
app.MapIncidentsApi();
app.MapOpsDashboardApi();
app.MapGroup("/api/v1")
    .MapCatalogApi().MapSearchApi().MapAccountsApi().MapCartApi().MapOrdersApi().MapRecommendationsApi().MapAdminApi().MapMessagingApi().MapChaosApi();
app.MapStorefrontWeb();
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
