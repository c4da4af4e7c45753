using System.Net;

namespace ScaleShop.PaymentProvider.Tests;

/// <summary>The provider's own rules, over real HTTP.</summary>
public sealed class PaymentProviderTests(PaymentProviderApp provider) : IClassFixture<PaymentProviderApp>
{
    private sealed record PaymentDto(string Id, string Reference, long AmountCents, string Currency, string Status, long CapturedCents, long RefundedCents);

    private sealed record LedgerDto(long Payments, long AuthorizedCents, long CapturedCents, long RefundedCents);

    private static HttpRequestMessage Post(string path, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task A_provider_injected_down_is_not_ready_but_alive_and_its_fault_can_be_lifted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = provider.CreateClient();
        try
        {
            (await client.PutAsJsonAsync("/admin/faults", new { down = true }, ct)).EnsureSuccessStatusCode();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", ct)).StatusCode);
        }
        finally
        {
            (await client.PutAsJsonAsync("/admin/faults", new { }, ct)).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", ct)).StatusCode);
    }

    [Fact]
    public async Task The_same_authorization_repeated_with_its_key_is_one_payment_and_the_key_cannot_be_reused_for_another()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = provider.CreateClient();
        var key = Guid.NewGuid().ToString("N");
        var reference = "order-" + Guid.NewGuid().ToString("N");

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.SendAsync(Post("/v1/authorizations", key, new { amountCents = 1999, currency = "USD", reference }), ct)));
        var payments = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<PaymentDto>(ct)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(payments.Select(p => p!.Id).Distinct());
        Assert.Single((await client.GetFromJsonAsync<ListDto>($"/v1/payments?reference={reference}", ct))!.Items);

        var reused = await client.SendAsync(Post("/v1/authorizations", key, new { amountCents = 5000, currency = "USD", reference }), ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
    }

    [Fact]
    public async Task A_payment_is_captured_once_refunded_at_most_what_was_captured_and_an_authorization_can_be_voided()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = provider.CreateClient();
        var payment = await (await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = 5000, currency = "EUR", reference = "o1" }), ct)).Content.ReadFromJsonAsync<PaymentDto>(ct);

        var captureKey = Key();
        var captured = await client.SendAsync(Post($"/v1/payments/{payment!.Id}/capture", captureKey, new { }), ct);
        Assert.Equal("captured", (await captured.Content.ReadFromJsonAsync<PaymentDto>(ct))!.Status);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Post($"/v1/payments/{payment.Id}/capture", captureKey, new { }), ct)).StatusCode); // the same call again
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(Post($"/v1/payments/{payment.Id}/capture", Key(), new { }), ct)).StatusCode); // a second capture

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Post($"/v1/payments/{payment.Id}/refund", Key(), new { amountCents = 3000 }), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(Post($"/v1/payments/{payment.Id}/refund", Key(), new { amountCents = 2001 }), ct)).StatusCode);
        var refunded = await (await client.SendAsync(Post($"/v1/payments/{payment.Id}/refund", Key(), new { amountCents = 2000 }), ct)).Content.ReadFromJsonAsync<PaymentDto>(ct);
        Assert.Equal(("refunded", 5000L, 5000L), (refunded!.Status, refunded.CapturedCents, refunded.RefundedCents));

        var other = await (await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = 700, currency = "EUR", reference = "o2" }), ct)).Content.ReadFromJsonAsync<PaymentDto>(ct);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Post($"/v1/payments/{other!.Id}/void", Key(), new { }), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(Post($"/v1/payments/{other.Id}/capture", Key(), new { }), ct)).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_change_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = provider.CreateClient();
        var before = await client.GetFromJsonAsync<LedgerDto>("/admin/ledger", ct);

        var noKey = await client.PostAsJsonAsync("/v1/authorizations", new { amountCents = 100, currency = "USD", reference = "x" }, ct);
        Assert.Contains("Idempotency-Key", await noKey.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var bad = await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = -5, currency = "usd", reference = "" }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = await bad.Content.ReadAsStringAsync(ct);
        Assert.Contains("amountCents", text, StringComparison.Ordinal);
        Assert.Contains("currency", text, StringComparison.Ordinal);
        Assert.Contains("reference", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync("/admin/faults", new { latencyMs = 0, failureRate = 2.0, lostResponseRate = 0, declineRate = 0, down = false }, ct)).StatusCode);

        Assert.Equal(before, await client.GetFromJsonAsync<LedgerDto>("/admin/ledger", ct));
    }

    [Fact]
    public async Task Outstanding_captures_are_listed_a_page_at_a_time_without_authorized_or_refunded_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = provider.CreateClient();
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var run = Key();
        foreach (var i in Enumerable.Range(0, 3))
        {
            (await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = 100 + i, currency = "USD", reference = $"{run}-{i}", capture = true }), ct)).EnsureSuccessStatusCode();
        }

        (await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = 500, currency = "USD", reference = $"{run}-authorized" }), ct)).EnsureSuccessStatusCode();
        var refunded = await (await client.SendAsync(Post("/v1/authorizations", Key(), new { amountCents = 600, currency = "USD", reference = $"{run}-refunded", capture = true }), ct))
            .Content.ReadFromJsonAsync<PaymentDto>(ct);
        (await client.SendAsync(Post($"/v1/payments/{refunded!.Id}/refund", Key(), new { amountCents = 600 }), ct)).EnsureSuccessStatusCode();
        var window = $"from={Uri.EscapeDataString(from.ToString("O"))}&until={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}";

        var listed = new List<PaymentDto>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<PageDto>($"/v1/captures/outstanding?{window}&limit=2" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}"), ct);
            Assert.True(page!.Items.Count <= 2);
            listed.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null && ++pages < 100);

        Assert.Equal([$"{run}-0", $"{run}-1", $"{run}-2"], listed.Select(p => p.Reference).Where(r => r.StartsWith(run, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Select(p => p.Id).Distinct().Count()); // no page repeats another

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/captures/outstanding", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/v1/captures/outstanding?{window}&limit=0", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/v1/captures/outstanding?{window}&after=nonsense", ct)).StatusCode);
    }

    private static string Key() => Guid.NewGuid().ToString("N");

    private sealed record ListDto(List<PaymentDto> Items);

    private sealed record PageDto(List<PaymentDto> Items, string? Next);
}
