using System.Text.Json;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

/// <summary>The storefront (and the payment provider) as a real process: its console log is one JSON object per line, carrying the trace of the request.</summary>
public sealed class StructuredLogTests : RealProcessTest
{
    [Fact]
    public async Task Each_log_line_is_JSON_and_carries_the_trace_id_the_caller_sent()
    {
        var ct = TestContext.Current.CancellationToken;
        var storefront = await StorefrontProcess.StartAsync(DataDirectory, Payments.BaseAddress, Recommendations.BaseAddress, new Dictionary<string, string>
        {
            // The hosting log (request started / finished) is what a request is sure to write.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        }, ct);
        try
        {
            await AssertTracedJsonLogAsync(storefront, "/api/v1/categories", ct);
        }
        finally
        {
            storefront.Kill();
        }
    }

    [Fact]
    public async Task The_payment_provider_as_a_process_logs_JSON_lines_with_the_trace_id_too()
    {
        var ct = TestContext.Current.CancellationToken;
        var provider = await StorefrontProcess.StartServiceAsync("ScaleShop.PaymentProvider", new Dictionary<string, string?>
        {
            ["PaymentProvider:DataDirectory"] = DataDirectory,
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        }, new Dictionary<string, string> { ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" }, ct);
        try
        {
            await AssertTracedJsonLogAsync(provider, "/v1/payments?reference=log-test", ct);
        }
        finally
        {
            provider.Kill();
        }
    }

    /// <summary>
    /// Sends a request under a trace of the test's own; asserts a log line of it is a JSON object with a timestamp and
    /// the trace id in its scopes, and that every JSON-looking line the process wrote parses.
    /// </summary>
    private static async Task AssertTracedJsonLogAsync(StorefrontProcess process, string path, CancellationToken ct)
    {
        var traceId = (await TracedRequest.GetAsync(process.Address, path, ct)).ToHexString();
        var line = await Eventually.ValueAsync(() => Task.FromResult(process.Output.FirstOrDefault(l => l.Contains(traceId, StringComparison.Ordinal))),
            found => found is not null, TimeSpan.FromSeconds(10), "a log line of the request");
        using var entry = JsonDocument.Parse(line!); // JSON, not the console's text format
        Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _), line);
        var scopes = entry.RootElement.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopes, scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("TraceId", out var id) && id.GetString() == traceId);
        Assert.All(process.Output.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
    }
}
