using ScaleShop.ServiceDefaults.Faults;
using ScaleShop.PaymentProvider.Payments;
using ScaleShop.ServiceDefaults;

// The payment provider: a separate process standing for the third party a checkout pays through.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddPayments(builder.Configuration).AddFaults();

var app = builder.Build();
app.UseProblemDetailsForErrors();
app.UseGracefulShutdown();
app.UseFaults("The payment provider"); // injected latency and failures, settable at run time, on /v1 only
app.MapDefaultEndpoints();
app.MapPaymentsApi();
app.MapFaultsApi();
app.Run();

namespace ScaleShop.PaymentProvider
{
    /// <summary>A type of this assembly for WebApplicationFactory in test projects that also see the storefront's Program.</summary>
    public sealed class PaymentProviderEntryPoint;
}

/// <summary>
/// Internal on purpose: .NET 10 makes a top-level Program public, and test projects see both this process and
/// the storefront; tests reach this one through <see cref="ScaleShop.PaymentProvider.PaymentProviderEntryPoint"/>.
/// </summary>
internal partial class Program;
