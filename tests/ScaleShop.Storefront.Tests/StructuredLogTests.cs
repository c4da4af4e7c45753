using System.Text.Json;
using ScaleShop.Storefront.Tests.Infrastructure;

namespace ScaleShop.Storefront.Tests;

/// <summary>The storefront as a real process: its console log is one JSON object per line, carrying the trace of the request.</summary>
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
            var traceId = (await TracedRequest.GetAsync(storefront.Address, "/api/v1/categories", ct)).ToHexString();

            var line = await Eventually.ValueAsync(() => Task.FromResult(storefront.Output.FirstOrDefault(l => l.Contains(traceId, StringComparison.Ordinal))),
                found => found is not null, TimeSpan.FromSeconds(10), "a log line of the request");
            using var entry = JsonDocument.Parse(line!); // JSON, not the console's text format
            Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _), line);
            var scopes = entry.RootElement.GetProperty("Scopes").EnumerateArray().ToList();
            Assert.Contains(scopes, scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("TraceId", out var id) && id.GetString() == traceId);
            Assert.All(storefront.Output.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
        }
        finally
        {
            storefront.Kill();
        }
    }
}
