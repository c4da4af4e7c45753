using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace ScaleShop.Cluster.Tests;

/// <summary>One request as the client saw it: when it was sent (on the load's clock), its status (0: transport error), the version that answered.</summary>
public readonly record struct Seen(TimeSpan SentAt, TimeSpan Latency, int Status, string? Version);

/// <summary>
/// Steady load through the gateway: workers loop over browse (listing, product), search and, for a signed-in seeded
/// shopper, cart + checkout (with an Idempotency-Key), pausing between requests. A failure is what a client would
/// call one: any 5xx or a transport error. Workers can be added or removed while it runs (a load step).
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly TimeSpan _pause;
    private readonly int _users;
    private readonly int _products;
    private readonly int _categories;
    private readonly ConcurrentQueue<Seen> _seen = new();
    private readonly List<(Task Task, CancellationTokenSource Stop)> _workers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _nextWorker;

    public SteadyLoad(Uri gateway, TimeSpan pause, int users, int products, int categories)
    {
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = gateway,
            Timeout = TimeSpan.FromSeconds(15),
        };
        _pause = pause;
        _users = users;
        _products = products;
        _categories = categories;
    }

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<Seen> Seen => _seen.ToList();

    public int Workers => _workers.Count;

    public void SetWorkers(int count)
    {
        while (_workers.Count < count)
        {
            var stop = new CancellationTokenSource();
            var index = Interlocked.Increment(ref _nextWorker);
            _workers.Add((Task.Run(() => WorkAsync(index, stop.Token)), stop));
        }

        while (_workers.Count > count)
        {
            var (_, stop) = _workers[^1];
            stop.Cancel();
            _workers.RemoveAt(_workers.Count - 1);
        }
    }

    /// <summary>Figures of the requests sent in [from, to).</summary>
    public LoadFigures Figures(TimeSpan from, TimeSpan to)
    {
        var window = Seen.Where(s => s.SentAt >= from && s.SentAt < to).ToList();
        var failures = window.Count(s => s.Status is 0 or >= 500);
        return new LoadFigures(window.Count, failures, (to - from).TotalSeconds,
            window.GroupBy(s => s.Version ?? "-").ToDictionary(g => g.Key, g => g.Count()),
            window.Where(s => s.Status is 0 or >= 500).GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Count()));
    }

    public async ValueTask DisposeAsync()
    {
        var tasks = _workers.Select(w => w.Task).ToList();
        SetWorkers(0);
        await Task.WhenAll(tasks);
        _http.Dispose();
    }

    private async Task WorkAsync(int index, CancellationToken stop)
    {
        var random = new Random(index);
        string? token = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var dice = random.NextDouble();
                if (dice < 0.55)
                {
                    await SendAsync(HttpMethod.Get, $"api/v1/products?categoryId={1 + random.Next(_categories)}&limit=20", null, null, stop);
                }
                else if (dice < 0.75)
                {
                    await SendAsync(HttpMethod.Get, $"api/v1/products/{1 + random.Next(_products)}", null, null, stop);
                }
                else if (dice < 0.88)
                {
                    await SendAsync(HttpMethod.Get, "api/v1/search?q=" + Uri.EscapeDataString(Terms[random.Next(Terms.Length)]), null, null, stop);
                }
                else
                {
                    token ??= await SignInAsync(index % _users, stop);
                    if (token is not null)
                    {
                        await SendAsync(HttpMethod.Put, $"api/v1/cart/items/{1 + random.Next(_products)}", token, """{"quantity":1}""", stop);
                        if (dice > 0.95)
                        {
                            await SendAsync(HttpMethod.Post, "api/v1/cart/checkout", token, null, stop, idempotencyKey: Guid.NewGuid().ToString("N"));
                        }
                    }
                }

                await Task.Delay(_pause, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the load step ended
        }
    }

    private static readonly string[] Terms = ["wireless", "headphones", "coffee", "lamp", "shoes", "book", "camera", "desk"];

    private async Task<string?> SignInAsync(int user, CancellationToken stop)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "api/v1/sessions", null,
            $$"""{"email":"user{{user}}@seed.scaleshop.test","password":"scaleshop-demo"}""", stop, readBody: true);
        if (status != 200 || body is null)
        {
            return null;
        }

        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString();
    }

    private async Task<(int Status, string? Body)> SendAsync(
        HttpMethod method, string path, string? token, string? json, CancellationToken stop, string? idempotencyKey = null, bool readBody = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json) { Headers = { ContentType = Json } };
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var sent = _clock.Elapsed;
        try
        {
            using var response = await _http.SendAsync(request, stop);
            var body = await response.Content.ReadAsStringAsync(stop);
            var version = response.Headers.TryGetValues("X-ScaleShop-Version", out var values) ? values.FirstOrDefault() : null;
            _seen.Enqueue(new Seen(sent, _clock.Elapsed - sent, (int)response.StatusCode, version));
            return ((int)response.StatusCode, readBody ? body : null);
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is TaskCanceledException && !stop.IsCancellationRequested))
        {
            _seen.Enqueue(new Seen(sent, _clock.Elapsed - sent, 0, null));
            return (0, null);
        }
    }
}

public sealed record LoadFigures(int Requests, int Failures, double Seconds, IReadOnlyDictionary<string, int> ByVersion, IReadOnlyDictionary<int, int> FailuresByStatus)
{
    public double PerSecond => Requests / Math.Max(Seconds, 0.001);

    public override string ToString() =>
        FormattableString.Invariant($"{Requests} requests in {Seconds:0.0} s ({PerSecond:0.0}/s), {Failures} failed")
        + (FailuresByStatus.Count > 0 ? " [" + string.Join(", ", FailuresByStatus.Select(f => $"{(f.Key == 0 ? "transport" : f.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {f.Value}")) + "]" : "")
        + "; by version: " + string.Join(", ", ByVersion.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}"));
}
