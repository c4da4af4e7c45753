using System.CommandLine;
using System.Net;
using System.Text.Json;
using ScaleShop.Anomalies;
using Spectre.Console;

namespace ScaleShop.Cli.Incidents;

/// <summary>
/// <c>scaleshop incidents listen</c>: the teams' paging endpoint on one machine (ops/ownership.json points every team
/// at http://127.0.0.1:5098/hooks/&lt;team&gt;). Checks each delivery's signature with the team's secret from the
/// storefront's data folder and prints the incident; a forged or altered delivery is refused with 401.
/// </summary>
public static class IncidentsCommand
{
    private const string HooksPath = "/hooks/";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (127.0.0.1).", DefaultValueFactory = _ => 5098 };
        var data = new Option<string>("--data") { Description = "The storefront's data folder, where generated team secrets are (keys/webhook-<team>.secret).", DefaultValueFactory = _ => "data" };
        var listen = new Command("listen", "Receive incident webhooks, check their signatures and print them.") { port, data };
        listen.SetAction(async (parse, cancellationToken) =>
        {
            using var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{parse.GetValue(port)}{HooksPath}");
            listener.Start();
            AnsiConsole.MarkupLine($"Listening on http://127.0.0.1:{parse.GetValue(port)}{HooksPath}<team>; Ctrl-C stops.");
            using var registration = cancellationToken.Register(listener.Stop);
            while (!cancellationToken.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (HttpListenerException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await HandleAsync(context, parse.GetValue(data)!, cancellationToken);
            }

            return 0;
        });
        return new Command("incidents", "Incidents and their notifications.") { listen };
    }

    private static async Task HandleAsync(HttpListenerContext context, string dataDirectory, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body, cancellationToken);
        var team = context.Request.Url!.AbsolutePath[HooksPath.Length..].Trim('/');
        var secretFile = Path.Combine(dataDirectory, "keys", $"webhook-{team}.secret");
        var secret = File.Exists(secretFile) ? Convert.FromBase64String((await File.ReadAllTextAsync(secretFile, cancellationToken)).Trim()) : null;
        var valid = secret is not null && WebhookSignature.IsValid(body.ToArray(), secret, context.Request.Headers[WebhookSignature.Header]);
        context.Response.StatusCode = valid ? (int)HttpStatusCode.OK : (int)HttpStatusCode.Unauthorized;
        context.Response.Close();
        if (!valid)
        {
            AnsiConsole.MarkupLine($"[red]Refused[/] a delivery for {Markup.Escape(team)}: no secret at {Markup.Escape(secretFile)} or a bad signature.");
            return;
        }

        var incident = JsonSerializer.Deserialize<JsonElement>(body.ToArray()).GetProperty("incident");
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{DateTimeOffset.Now:HH:mm:ss} {team}: incident #{incident.GetProperty("id")} {incident.GetProperty("severity").GetString()} " +
            $"{incident.GetProperty("status").GetString()} — {incident.GetProperty("title").GetString()} (runbook {incident.GetProperty("runbook").GetString()})"));
    }
}
