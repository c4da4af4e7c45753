using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ScaleShop.Load;

/// <summary>
/// The four shopper journeys, as real HTTP against the storefront's public API. Each step has a due time (the
/// journey's arrival, or the end of the previous step plus a think time); its latency is measured from that due
/// time, so a step the generator had to start late is charged for the wait, as a real shopper would feel it.
/// </summary>
public sealed class Journeys
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // Starts less than this late are the timer's resolution, not the generator falling behind: not recorded.
    private static readonly TimeSpan StartLagWorthRecording = TimeSpan.FromMilliseconds(2);
    private static readonly byte[] QuantityOne = """{"quantity":1}"""u8.ToArray();

    private readonly HttpClient _http;
    private readonly LoadProfile _profile;
    private readonly LoadRecorder _recorder;
    private readonly Shoppers _shoppers;
    private readonly ZipfSampler _products;
    private readonly IReadOnlyList<string> _searchTerms;
    private readonly long _origin;
    private readonly Func<HttpRequestMessage> _endpointRequest;

    public Journeys(HttpClient http, LoadProfile profile, LoadRecorder recorder, Shoppers shoppers, ZipfSampler products, long origin)
    {
        _http = http;
        _profile = profile;
        _recorder = recorder;
        _shoppers = shoppers;
        _products = products;
        _searchTerms = Data.Seeding.CatalogGenerator.SearchTerms;
        _origin = origin;
        if (profile.Endpoint is { } endpoint)
        {
            var absolute = new Uri(profile.BaseUrl, endpoint); // parsed once, not per request
            _endpointRequest = () => new HttpRequestMessage(HttpMethod.Get, absolute);
        }
        else
        {
            _endpointRequest = () => throw new InvalidOperationException("No endpoint: the profile runs journeys.");
        }
    }

    /// <summary>Time since the run started; every due time is on this clock.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_origin);

    /// <summary>Lateness of steps that started more than 2 ms after their due time, in microseconds (the generator's own health).</summary>
    public HdrHistogram.LongConcurrentHistogram StartLag { get; } = new(1, 3_600_000_000, 2);

    public Task RunAsync(JourneyKind kind, TimeSpan due, int seed, CancellationToken cancellationToken) =>
        // The single-endpoint path is the one compared with wrk: no random choices, no extra async layers.
        kind == JourneyKind.Endpoint
            ? ExchangeAsync(kind, due, _endpointRequest, ReadBody.None, cancellationToken).AsTask()
            : RunJourneyAsync(kind, due, new Random(seed), cancellationToken);

    private async Task RunJourneyAsync(JourneyKind kind, TimeSpan due, Random random, CancellationToken cancellationToken)
    {
        try
        {
            switch (kind)
            {
                case JourneyKind.Browse:
                    var productId = _products.Next(random);
                    if (await GetAsync(kind, due, $"/api/v1/products?categoryId={1 + random.Next(_profile.Categories)}&limit=20", cancellationToken) is { } listed
                        && await GetAsync(kind, await ThinkAsync(listed, random, cancellationToken), $"/api/v1/products/{productId}", cancellationToken) is { } viewed)
                    {
                        // The product page asks for "customers also bought" alongside the product, as a browser would.
                        if (_profile.RecommendationsOnProductPage)
                        {
                            await GetAsync(kind, viewed, $"/api/v1/recommendations?productId={productId}", cancellationToken);
                        }

                        await GetAsync(kind, await ThinkAsync(viewed, random, cancellationToken), ProductPath(random), cancellationToken);
                    }

                    break;
                case JourneyKind.Search:
                    var term = Uri.EscapeDataString(_searchTerms[random.Next(_searchTerms.Count)]);
                    if (await GetAsync(kind, due, $"/api/v1/search?q={term}", cancellationToken) is { } found)
                    {
                        await GetAsync(kind, await ThinkAsync(found, random, cancellationToken), ProductPath(random), cancellationToken);
                    }

                    break;
                case JourneyKind.Cart:
                case JourneyKind.Checkout:
                    await ShopAsync(kind, due, random, cancellationToken);
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run ended while this journey thought: nothing to record.
        }
    }

    private async Task ShopAsync(JourneyKind kind, TimeSpan due, Random random, CancellationToken cancellationToken)
    {
        var session = _shoppers.Take(random);
        try
        {
            await ShopAsync(kind, due, session, random, cancellationToken);
        }
        finally
        {
            _shoppers.Release(session);
        }
    }

    private async Task ShopAsync(JourneyKind kind, TimeSpan due, Shoppers.Session session, Random random, CancellationToken cancellationToken)
    {
        var next = due;
        if (session.Token is null)
        {
            if (await SignInAsync(kind, next, session, cancellationToken) is not { } signedIn)
            {
                return;
            }

            next = await ThinkAsync(signedIn, random, cancellationToken);
        }

        var productPath = $"/api/v1/cart/items/{_products.Next(random)}";
        if (await SendAsync(kind, next, () => Authorized(HttpMethod.Put, productPath, session, new ByteArrayContent(QuantityOne) { Headers = { ContentType = Json } }), cancellationToken, session) is not { } added)
        {
            return;
        }

        next = await ThinkAsync(added, random, cancellationToken);
        if (kind == JourneyKind.Cart)
        {
            await SendAsync(kind, next, () => Authorized(HttpMethod.Get, "/api/v1/cart", session, content: null), cancellationToken, session);
            return;
        }

        // A checkout is idempotent by its key, so a failure that may not have reached the service (timeout,
        // connection, 5xx) is retried with the same key, as a careful client would; every attempt is recorded.
        var key = Guid.NewGuid().ToString("N");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (ended, retryable) = await SendCheckoutAsync(kind, next, session, key, cancellationToken);
            if (!retryable)
            {
                return;
            }

            next = ended + TimeSpan.FromMilliseconds(100 * (1 << attempt));
            await DelayUntilAsync(next, cancellationToken);
        }
    }

    private async Task<(TimeSpan Ended, bool Retryable)> SendCheckoutAsync(JourneyKind kind, TimeSpan due, Shoppers.Session session, string key, CancellationToken cancellationToken)
    {
        var outcome = await ExchangeAsync(kind, due, () =>
        {
            var request = Authorized(HttpMethod.Post, "/api/v1/cart/checkout", session, content: null);
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }, ReadBody.OrderId, cancellationToken, session);
        if (outcome is { Status: (int)HttpStatusCode.Created or (int)HttpStatusCode.Accepted, Value: { } orderId })
        {
            _profile.Observer?.OrderAcknowledged(new AcknowledgedOrder(orderId, session.UserIndex, session.Email, outcome.Status, session.Token));
        }

        return (outcome.Ended, outcome.Retryable);
    }

    private async Task<TimeSpan?> SignInAsync(JourneyKind kind, TimeSpan due, Shoppers.Session session, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new SignIn(session.Email, _profile.Password), LoadJsonContext.Default.SignIn);
        var outcome = await ExchangeAsync(kind, due, () => new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        }, ReadBody.AccessToken, cancellationToken, session);
        if (outcome.Value is null)
        {
            return null;
        }

        session.Token = outcome.Value;
        return outcome.Ended;
    }

    private Task<TimeSpan?> GetAsync(JourneyKind kind, TimeSpan due, string path, CancellationToken cancellationToken) =>
        SendAsync(kind, due, () => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>Sends at (or after) <paramref name="due"/>; returns when the answer ended, or null when the step failed (the journey stops).</summary>
    private async Task<TimeSpan?> SendAsync(JourneyKind kind, TimeSpan due, Func<HttpRequestMessage> request, CancellationToken cancellationToken, Shoppers.Session? session = null)
    {
        var outcome = await ExchangeAsync(kind, due, request, ReadBody.None, cancellationToken, session);
        return outcome.Succeeded ? outcome.Ended : null;
    }

    private async ValueTask<Outcome> ExchangeAsync(
        JourneyKind kind, TimeSpan due, Func<HttpRequestMessage> build, ReadBody read, CancellationToken cancellationToken, Shoppers.Session? session = null)
    {
        await DelayUntilAsync(due, cancellationToken);
        var lag = Elapsed - due;
        if (lag > StartLagWorthRecording)
        {
            StartLag.RecordValue((long)lag.TotalMicroseconds);
        }

        using var request = build();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            string? value = null;
            if (read != ReadBody.None && response.IsSuccessStatusCode)
            {
                value = ReadString(await response.Content.ReadAsByteArrayAsync(cancellationToken), read == ReadBody.AccessToken ? "accessToken"u8 : "id"u8);
            }

            var ended = Elapsed;
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                _recorder.Record(kind, ended - due);
                Observe(kind, session, ended, ended - due, error: null);
                return new Outcome(true, false, ended, value, status);
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            _recorder.RecordError(kind, $"http_{status}", ended - due, $"{kind}: {request.Method} {request.RequestUri} -> {status} {body[..Math.Min(body.Length, 300)]}");
            Observe(kind, session, ended, ended - due, $"http_{status}");
            return new Outcome(false, status >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout, ended, null, status);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _recorder.RecordError(kind, "timeout", Elapsed - due);
            Observe(kind, session, Elapsed, Elapsed - due, "timeout");
            return new Outcome(false, true, Elapsed, null, 0);
        }
        catch (HttpRequestException)
        {
            _recorder.RecordError(kind, "connection", Elapsed - due);
            Observe(kind, session, Elapsed, Elapsed - due, "connection");
            return new Outcome(false, true, Elapsed, null, 0);
        }
    }

    private async Task<TimeSpan> ThinkAsync(TimeSpan? previousEnded, Random random, CancellationToken cancellationToken)
    {
        var mean = _profile.ThinkTime.TotalMilliseconds;
        var think = mean <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(-mean * Math.Log(1 - random.NextDouble()));
        var due = (previousEnded ?? Elapsed) + think;
        await DelayUntilAsync(due, cancellationToken);
        return due;
    }

    private async Task DelayUntilAsync(TimeSpan due, CancellationToken cancellationToken)
    {
        var wait = due - Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    private string ProductPath(Random random) => $"/api/v1/products/{_products.Next(random)}";

    private static HttpRequestMessage Authorized(HttpMethod method, string path, Shoppers.Session session, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        return request;
    }

    private void Observe(JourneyKind kind, Shoppers.Session? session, TimeSpan ended, TimeSpan latency, string? error) =>
        _profile.Observer?.RequestEnded(new ObservedRequest(kind, session?.UserIndex, ended, latency, error));

    /// <summary>The first top-level string property <paramref name="name"/> of a JSON body (the token of a sign-in, the id of an order).</summary>
    private static string? ReadString(byte[] body, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals(name) && reader.Read())
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
        }

        return null;
    }

    private enum ReadBody
    {
        None,
        AccessToken,
        OrderId,
    }

    private readonly record struct Outcome(bool Succeeded, bool Retryable, TimeSpan Ended, string? Value, int Status);
}

public sealed record SignIn(string Email, string Password);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SignIn))]
internal sealed partial class LoadJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
