using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using ScaleShop.PaymentProvider;

namespace ScaleShop.PaymentProvider.Tests;

/// <summary>The real payment provider on Kestrel (a loopback port), with its own database folder.</summary>
public sealed class PaymentProviderApp : WebApplicationFactory<PaymentProviderEntryPoint>, IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "scaleshop-payments-" + Guid.NewGuid().ToString("N"));

    public PaymentProviderApp() => UseKestrel(0);

    public Uri BaseAddress => CreateClient().BaseAddress!;

    public ValueTask InitializeAsync()
    {
        StartServer();
        return ValueTask.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PaymentProvider:DataDirectory"] = _directory,
            ["Logging:LogLevel:Default"] = "Warning",
        }));
    }

    public async Task SetFaultsAsync(int latencyMs = 0, double failureRate = 0, double lostResponseRate = 0, double declineRate = 0, bool down = false)
    {
        using var admin = CreateClient();
        (await admin.PutAsJsonAsync("/admin/faults", new { latencyMs, failureRate, lostResponseRate, declineRate, down })).EnsureSuccessStatusCode();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open: the temp folder is cleaned later.
        }
    }
}
