using ScaleShop.RecommendationsService;
using ScaleShop.ServiceDefaults;
using ScaleShop.ServiceDefaults.Faults;

// The recommendations service: a separate process, so that its failure (slow, down, out of memory) costs the
// storefront only its recommendations. It learns from confirmed orders the storefront forwards to it.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddRecommendationModel(builder.Configuration).AddFaults();

var app = builder.Build();
app.UseProblemDetailsForErrors();
app.UseGracefulShutdown();
app.UseFaults("The recommendations service"); // injected latency and failures, settable at run time, on /v1 only
app.MapDefaultEndpoints();
app.MapRecommendationsApi();
app.MapFaultsApi();
app.Run();

namespace ScaleShop.RecommendationsService
{
    /// <summary>A type of this assembly for WebApplicationFactory in test projects that also see the storefront's Program.</summary>
    public sealed class RecommendationsServiceEntryPoint;
}

/// <summary>Internal for the reason the payment provider's is: test projects see several programs.</summary>
internal partial class Program;
