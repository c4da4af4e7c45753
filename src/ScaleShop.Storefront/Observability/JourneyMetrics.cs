using System.Diagnostics;
using System.Diagnostics.Metrics;
using ScaleShop.Slo;

namespace ScaleShop.Storefront.Observability;

/// <summary>
/// Every request of a journey, timed from the first middleware to the last, with its outcome: the SLIs. A request
/// fails when the service answers 5xx: a shed request (503) and a request timeout (504) included. A 4xx is the
/// caller's, a 429 too: a client over its own rate limit spends its quota, not the service's error budget.
/// Bucket boundaries include every journey's latency threshold, so "within the objective" is an exact bucket
/// (for Prometheus rules and for this instance's own windows alike).
/// </summary>
public sealed class JourneyMetrics
{
    public const string MeterName = "ScaleShop.Journeys";
    public const string DurationInstrument = "scaleshop.journey.duration";
    public const string JourneyTag = "journey";
    public const string OutcomeTag = "outcome";
    public const string Success = "ok";
    public const string Failure = "error";

    private readonly Histogram<double> _duration;

    public JourneyMetrics(IMeterFactory meterFactory, SloObjectives objectives)
    {
        Meter = meterFactory.Create(MeterName);
        _duration = Meter.CreateHistogram(DurationInstrument, unit: "s",
            description: "Requests of each shopper journey by outcome (ok; error: 5xx): the SLIs objectives are computed from.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = JourneyWindows.BoundariesFor(objectives).Select(ms => ms / 1000).ToArray() });
    }

    public Meter Meter { get; }

    public static bool IsFailure(int statusCode) => statusCode >= StatusCodes.Status500InternalServerError;

    public void Record(string journey, int statusCode, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new TagList { { JourneyTag, journey }, { OutcomeTag, IsFailure(statusCode) ? Failure : Success } });
}

public static class JourneyMetricsExtensions
{
    /// <summary>
    /// Outermost but for routing (WebApplication routes first), so shed requests and the exception handler's
    /// answers are measured as the shopper saw them.
    /// </summary>
    public static WebApplication UseJourneyMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<JourneyMetrics>();
        app.Use(async (context, next) =>
        {
            // Read before the request runs: the exception handler clears the endpoint when it handles a failure.
            var journey = context.GetEndpoint()?.Metadata.GetMetadata<JourneyMetadata>();
            if (journey is null)
            {
                await next(context);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var failed = true;
            try
            {
                await next(context);
                failed = false;
            }
            finally
            {
                metrics.Record(journey.Journey, failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            }
        });
        return app;
    }
}
