using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Deployment.Budget;
using ScaleShop.Slo;

namespace ScaleShop.Cluster.Rollouts;

/// <summary>
/// The error budget gate before and during a rollout: every serving instance's own SLO report
/// (<c>GET /api/ops/slo</c>, admin-only: the controller signs in as the cluster's admin, whose token every instance
/// accepts since they share the signing key) checked by <see cref="ErrorBudgetGate"/>.
/// </summary>
public sealed class ErrorBudgets(StorefrontFleet fleet, ClusterSecrets secrets, IOptions<RolloutOptions> options, ILogger<ErrorBudgets> logger) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private string? _token;

    public async Task<BudgetVerdict> CheckAsync(CancellationToken cancellationToken)
    {
        var reports = new List<SloReport>();
        foreach (var instance in fleet.Instances.Where(i => i.State == InstanceState.Serving && i.Weight > 0))
        {
            try
            {
                reports.Add(await ReportAsync(instance.Address, cancellationToken));
            }
            catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // An instance that cannot say is not evidence either way; the canary analysis still watches its errors.
                logger.LogWarning("No SLO report from {Instance}: {Message}", instance.Id, exception.Message);
            }
        }

        return ErrorBudgetGate.Check(reports, options.Value.MinimumBudgetRemaining);
    }

    public void Dispose() => _http.Dispose();

    private async Task<SloReport> ReportAsync(Uri instance, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            _token ??= await SignInAsync(instance, cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(instance, "api/ops/slo"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized && attempt == 0)
            {
                _token = null; // expired: sign in again, once
                continue;
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<SloReport>(Json, cancellationToken)
                ?? throw new JsonException("An empty SLO report.");
        }
    }

    private async Task<string> SignInAsync(Uri instance, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(instance, "api/v1/sessions"), new { email = secrets.AdminEmail, password = secrets.AdminPassword }, Json, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return body.GetProperty("accessToken").GetString() ?? throw new JsonException("No accessToken in the sign-in answer.");
    }
}
