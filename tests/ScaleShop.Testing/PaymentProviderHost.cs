using System.Net.Http.Json;
using ScaleShop.PaymentProvider;

namespace ScaleShop.Testing;

/// <summary>
/// The real payment provider: the storefront's fixtures pay through it over real HTTP, and its own tests use
/// it as their fixture.
/// </summary>
public class PaymentProviderHost() : ServiceHost<PaymentProviderEntryPoint>("payments")
{
    protected override string DataDirectorySetting => "PaymentProvider:DataDirectory";

    /// <summary>Every payment made for one merchant reference (an order id).</summary>
    public async Task<IReadOnlyList<PaymentRecord>> PaymentsForAsync(string reference)
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<PaymentRecordList>($"/v1/payments?reference={Uri.EscapeDataString(reference)}"))!.Items;
    }

    public Task SetFaultsAsync(int latencyMs = 0, double failureRate = 0, double lostResponseRate = 0, double declineRate = 0, bool down = false) =>
        PutFaultsAsync(new { latencyMs, failureRate, lostResponseRate, declineRate, down });
}

public sealed record PaymentRecord(string Id, string Reference, long AmountCents, string Currency, string Status, long CapturedCents, long RefundedCents);

public sealed record PaymentRecordList(List<PaymentRecord> Items);
