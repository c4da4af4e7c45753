using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ScaleShop.Anomalies;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>What a team's webhook receives: the incident as it is now, and what changed it.</summary>
public sealed record IncidentNotification(string Event, string DeliveryId, string Team, string TeamName, Incident Incident, string Runbook);

/// <summary>
/// Resolves incidents that went quiet, and tells each incident's owning team of every version of it, at least once: a version is marked sent only after
/// every webhook of the team accepted it; failures are retried with exponential backoff and jitter (the HTTP
/// client's own pipeline retries quick blips first), across restarts and instances, since the state is in the
/// database. Receivers deduplicate by <see cref="WebhookSignature.DeliveryHeader"/>.
/// </summary>
public sealed class IncidentNotifier(IncidentStore store, Ownership ownership, TeamSecrets secrets, IHttpClientFactory httpClients,
    IOptions<AnomaliesOptions> options, ILogger<IncidentNotifier> logger) : BackgroundService
{
    public const string HttpClientName = "incident-webhooks";
    private const int ClaimBatch = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.NotificationPollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await NotifyDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Incident notifications could not be read; retrying on the next round.");
            }
        }
    }

    /// <summary>One round: every incident whose team has not been told of its latest version. Returns how many were delivered.</summary>
    public async Task<int> NotifyDueAsync(CancellationToken cancellationToken)
    {
        // Quiet incidents are resolved first, so their teams hear of it in this round.
        if (await store.ResolveQuietAsync(options.Value.AutoResolveAfter, cancellationToken) is > 0 and var resolved)
        {
            logger.LogInformation("{Count} incidents without a signal for {Quiet} were resolved.", resolved, options.Value.AutoResolveAfter);
        }

        var delivered = 0;
        foreach (var (incident, failedAttempts) in await store.ClaimUnnotifiedAsync(ClaimBatch, options.Value.NotificationClaim, cancellationToken))
        {
            if (await DeliverAsync(incident, cancellationToken))
            {
                await store.MarkNotifiedAsync(incident.Id, incident.Version, cancellationToken);
                delivered++;
                continue;
            }

            var attempts = await store.DeferNotificationAsync(incident.Id, Backoff(failedAttempts), cancellationToken);
            if (attempts >= options.Value.NotificationMaxAttempts)
            {
                logger.LogError("Incident {IncidentId} version {Version} could not be delivered to team {Team} after {Attempts} attempts; giving up on this version.",
                    incident.Id, incident.Version, incident.Team, attempts);
                await store.MarkNotifiedAsync(incident.Id, incident.Version, cancellationToken);
            }
        }

        return delivered;
    }

    private async Task<bool> DeliverAsync(Incident incident, CancellationToken cancellationToken)
    {
        var team = ownership.Teams[incident.Team];
        var notification = new IncidentNotification(incident.Version == 1 ? "incident.opened" : "incident.updated",
            $"incident-{incident.Id}-v{incident.Version}", team.Id, team.Name, incident, incident.Runbook);
        var body = JsonSerializer.SerializeToUtf8Bytes(notification, AnomaliesJsonContext.Default.IncidentNotification);
        var signature = WebhookSignature.Sign(body, secrets.For(team.Id));
        var client = httpClients.CreateClient(HttpClientName);
        var allAccepted = true;
        foreach (var webhook in team.Webhooks)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(WebhookSignature.Header, signature);
                request.Headers.Add(WebhookSignature.DeliveryHeader, notification.DeliveryId);
                request.Headers.Add(WebhookSignature.EventHeader, notification.Event);
                using var response = await client.SendAsync(request, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    logger.LogWarning("Webhook {Webhook} of team {Team} answered {Status} to incident {IncidentId}.", webhook, team.Id, (int)response.StatusCode, incident.Id);
                    allAccepted = false;
                }
                else
                {
                    logger.LogInformation("Incident {IncidentId} ({Severity}, {Component}) delivered to team {Team} at {Webhook}.", incident.Id, incident.Severity, incident.Component, team.Id, webhook);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException
                                          && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Webhook {Webhook} of team {Team} failed for incident {IncidentId}: {Error}", webhook, team.Id, incident.Id, e.Message);
                allAccepted = false;
            }
        }

        return allAccepted;
    }

    /// <summary>Exponential from the configured delay, capped, with jitter (half to all of it) so instances and incidents do not retry in step.</summary>
    private TimeSpan Backoff(int failedAttempts)
    {
        var settings = options.Value;
        var ceiling = Math.Min(settings.NotificationMaxRetryDelay.TotalMilliseconds, settings.NotificationRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
