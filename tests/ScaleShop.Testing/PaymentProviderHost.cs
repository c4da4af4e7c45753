using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using System.Net.Http.Json;
using ScaleShop.PaymentProvider;

namespace ScaleShop.Testing;

/// <summary>
/// The real payment provider on Kestrel (a loopback port), with its own database folder: the storefront's
/// fixtures pay through it over real HTTP, and its own tests use it as their fixture.
/// </summary>
public class PaymentProviderHost : WebApplicationFactory<PaymentProviderEntryPoint>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "scaleshop-payments-" + Guid.NewGuid().ToString("N"));

    public PaymentProviderHost() => UseKestrel(0);

    public Uri BaseAddress => CreateClient().BaseAddress!;

    public ValueTask InitializeAsync()
    {
        TestHostStarts.Run(StartServer);
        return ValueTask.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PaymentProvider:DataDirectory"] = _directory,
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        }));
    }

    /// <summary>Every payment made for one merchant reference (an order id).</summary>
    public async Task<IReadOnlyList<PaymentRecord>> PaymentsForAsync(string reference)
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<PaymentRecordList>($"/v1/payments?reference={Uri.EscapeDataString(reference)}"))!.Items;
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

public sealed record PaymentRecord(string Id, string Reference, long AmountCents, string Currency, string Status, long CapturedCents, long RefundedCents);

public sealed record PaymentRecordList(List<PaymentRecord> Items);
