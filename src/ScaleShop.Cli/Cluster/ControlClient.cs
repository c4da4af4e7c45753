using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ScaleShop.Cluster.Hosting;

namespace ScaleShop.Cli.Cluster;

/// <summary>The controller's control API, found through its state folder (<c>controller.json</c>, <c>control.key</c>).</summary>
public sealed class ControlClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    private ControlClient(Uri controlUrl, string key)
    {
        _http = new HttpClient { BaseAddress = controlUrl, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    public static ControlClient? ForState(string stateDirectory)
    {
        var record = ControllerRecord.Read(stateDirectory);
        var keyFile = Path.Combine(stateDirectory, ClusterSecrets.ControlKeyFile);
        return record is null || !File.Exists(keyFile) ? null : new ControlClient(record.ControlUrl, File.ReadAllText(keyFile).Trim());
    }

    public async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text, Json);
        return ((int)response.StatusCode, json);
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<T>(path.TrimStart('/'), Json, cancellationToken) ?? throw new InvalidDataException($"{path}: empty answer.");

    public void Dispose() => _http.Dispose();
}
