using System.Diagnostics;
using System.Net;

namespace ScaleShop.Load;

/// <summary>
/// The open model: journeys arrive as a Poisson process at the schedule's rate, and each starts when it is due
/// whether or not earlier ones have finished. An arrival that finds <see cref="LoadProfile.MaxInFlight"/>
/// journeys running is dropped and counted, never delayed. Every second the recorder closes an interval (the
/// time series and the live display). The run ends when the schedule does; journeys still running then get
/// up to the request timeout to finish.
/// </summary>
public sealed class LoadEngine(LoadProfile profile)
{
    public static readonly TimeSpan ReportingInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(1);

    public async Task<LoadRun> RunAsync(Action<IReadOnlyList<IntervalSample>>? onInterval, CancellationToken cancellationToken)
    {
        LoopbackOnly.Check(profile.BaseUrl);
        var schedule = profile.Schedule;
        var recorder = new LoadRecorder(schedule.Windows);
        using var http = CreateClient(profile);
        var origin = Stopwatch.GetTimestamp();
        var journeys = new Journeys(http, profile, recorder, new Shoppers(profile), new ZipfSampler(profile.Products, profile.ZipfExponent), origin);
        var startedAt = DateTimeOffset.UtcNow;
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporting = ReportAsync(recorder, journeys, onInterval, stop.Token);
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduleEnded = 0;
        var random = new Random(profile.Seed);
        var next = TimeSpan.Zero;
        if (profile is { ClosedLoopConnections: { } loops, Endpoint: not null })
        {
            // Closed loop (cross-check mode): no schedule of arrivals; the end of the schedule ends it.
            await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
            {
                while (journeys.Elapsed < schedule.Duration && !cancellationToken.IsCancellationRequested)
                {
                    recorder.JourneyStarted();
                    await RunJourneyAsync(journeys, recorder, JourneyKind.Endpoint, journeys.Elapsed, 0, static () => { }, stop.Token);
                }
            }, CancellationToken.None)));
            next = schedule.Duration;
        }

        while (next < schedule.Duration && !cancellationToken.IsCancellationRequested && !Exhausted())
        {
            // Sleep until the next arrival is due, never spin: at thousands of arrivals a second the gap is below
            // the timer's ~1 ms resolution, so arrivals are started in per-millisecond batches. Each request is
            // still measured from its own due time, so the batching shows in the figures (as start lateness)
            // instead of being hidden.
            var wait = next - journeys.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < MinimumSleep ? MinimumSleep : wait, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            // Everything due by now starts now; each is measured from its own due time.
            while (next <= journeys.Elapsed && next < schedule.Duration && !Exhausted())
            {
                var kind = profile.Endpoint is null ? profile.Mix.Pick(random.NextDouble()) : JourneyKind.Endpoint;
                if (recorder.InFlight >= profile.MaxInFlight)
                {
                    recorder.JourneyDropped(kind);
                }
                else
                {
                    recorder.JourneyStarted();
                    _ = RunJourneyAsync(journeys, recorder, kind, next, random.Next(), OnJourneyEnded, stop.Token);
                }

                var rate = schedule.RateAt(next);
                next += rate > 0 ? TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) / rate) : ReportingInterval / 10;
            }
        }

        Volatile.Write(ref scheduleEnded, 1);
        OnJourneyEnded();
        await Task.WhenAny(drained.Task, Task.Delay(profile.RequestTimeout * 2, CancellationToken.None));
        await stop.CancelAsync();
        await reporting;
        var elapsed = journeys.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - generatorCpu;
        return LoadRun.From(profile, recorder, startedAt, elapsed, cpu, journeys.StartLag);

        bool Exhausted() => recorder.JourneysStarted + recorder.JourneysDropped >= profile.MaxJourneys;

        // Journeys are not kept in a list (at tens of thousands a second that list is the cost): the last one to
        // end after the schedule has ended completes the drain.
        void OnJourneyEnded()
        {
            if (Volatile.Read(ref scheduleEnded) == 1 && recorder.InFlight == 0)
            {
                drained.TrySetResult();
            }
        }
    }

    private static async Task RunJourneyAsync(
        Journeys journeys, LoadRecorder recorder, JourneyKind kind, TimeSpan due, int seed, Action onEnded, CancellationToken cancellationToken)
    {
        try
        {
            await journeys.RunAsync(kind, due, seed, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A bug in a journey must not vanish into an unobserved task: it shows in the report.
            recorder.RecordError(kind, "generator_" + exception.GetType().Name, TimeSpan.Zero, exception.Message);
        }
        catch (OperationCanceledException)
        {
            // The run was stopped.
        }
        finally
        {
            recorder.JourneyEnded();
            onEnded();
        }
    }

    private async Task ReportAsync(LoadRecorder recorder, Journeys journeys, Action<IReadOnlyList<IntervalSample>>? onInterval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ReportingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var at = journeys.Elapsed;
                var closed = recorder.CloseInterval(at, TargetRate(at - (ReportingInterval / 2)));
                onInterval?.Invoke(closed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run ended: the last, partial interval is closed below.
        }

        // Not inside ?.Invoke: without a listener its argument would never be evaluated, and the interval never closed.
        var last = recorder.CloseInterval(journeys.Elapsed, TargetRate(journeys.Elapsed));
        onInterval?.Invoke(last);
    }

    private double TargetRate(TimeSpan at) => at < profile.Schedule.Duration ? profile.Schedule.RateAt(at) : 0;

    /// <summary>One pooled client: HTTP/1.1 keep-alive connections, no cookies, no proxy, the profile's timeout.</summary>
    public static HttpClient CreateClient(LoadProfile profile) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = profile.MaxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = profile.BaseUrl,
            Timeout = profile.RequestTimeout,
        };
}

/// <summary>Load is only ever sent to this machine: the generator refuses any other address.</summary>
public static class LoopbackOnly
{
    public static void Check(Uri url)
    {
        if (!url.IsLoopback)
        {
            throw new ArgumentException($"The load generator only talks to this machine (127.0.0.1, ::1, localhost); {url.Host} is not.", nameof(url));
        }
    }
}
