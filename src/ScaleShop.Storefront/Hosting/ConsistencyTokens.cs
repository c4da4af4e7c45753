using ScaleShop.Data;

namespace ScaleShop.Storefront.Hosting;

/// <summary>
/// Read-your-writes across replicas, for any client: a response to a request that wrote carries
/// <c>ScaleShop-Consistency</c> (the written databases' log positions after commit); a client that sends it
/// back has its reads served only by replicas that have replayed that far, or by the primary. Clients that
/// never send it read from replicas within the configured lag.
/// </summary>
public static class ConsistencyTokens
{
    public const string HeaderName = "ScaleShop-Consistency";

    public static IApplicationBuilder UseConsistencyTokens(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var consistency = new ReadConsistency();
        consistency.RequireFrom(context.Request.Headers[HeaderName]);
        ReadConsistency.Current = consistency;
        context.Response.OnStarting(async () =>
        {
            var written = consistency.Written;
            if (written.Count == 0)
            {
                return;
            }

            IReadOnlyDictionary<string, ulong> positions;
            try
            {
                positions = await context.RequestServices.GetRequiredService<IDatabaseRouter>().CurrentPositionsAsync(written, context.RequestAborted);
            }
            catch (Exception exception) when (exception is System.Data.Common.DbException or TimeoutException or OperationCanceledException)
            {
                // The write is done; without a token the client's reads of its own data go to the primary.
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsistencyTokens))
                    .LogWarning(exception, "No consistency token for {Databases}", string.Join(",", written));
                return;
            }

            if (positions.Count > 0)
            {
                // Keep what the client already required for other databases: one header to store and resend.
                var merged = positions.ToDictionary(p => p.Key, p => Math.Max(p.Value, consistency.RequiredPosition(p.Key)), StringComparer.Ordinal);
                context.Response.Headers[HeaderName] = ReadConsistency.Format(merged);
            }
        });
        await next(context);
    });
}
