using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ScaleShop.Storefront.Messaging;

public static class NatsMessagingExtensions
{
    public const string ConnectionStringName = "nats";

    /// <summary>
    /// The bus on JetStream: one connection (it reconnects by itself), the events and dead-letter streams,
    /// a durable pull consumer per <see cref="IEventConsumer"/>, run by <see cref="NatsConsumerHost"/>.
    /// <see cref="MessagingExtensions.AddMessaging"/> hands these out when <c>Messaging:Provider</c> is <c>Nats</c>;
    /// the consumer host is then resolved at start, so a missing server address stops the start with its reason.
    /// </summary>
    public static IServiceCollection AddNatsMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var timeout = sp.GetRequiredService<IOptions<MessagingOptions>>().Value.Nats.RequestTimeout;
            return new NatsConnection(new NatsOpts
            {
                Url = Url(configuration),
                Name = "scaleshop-storefront",
                RequestTimeout = timeout,
                ConnectTimeout = timeout,
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
            });
        });
        services.AddSingleton<INatsConnection>(sp => sp.GetRequiredService<NatsConnection>());
        services.AddSingleton<INatsJSContext>(sp => new NatsJSContext(sp.GetRequiredService<NatsConnection>()));
        services.AddSingleton<NatsStreams>();
        services.AddSingleton<NatsEventBus>();
        services.AddSingleton<NatsDeadLetterQueue>();
        services.AddSingleton<NatsConsumerHost>();
        // The client's own spans (publish, the JetStream requests, receive) and its meter. Its publish span writes
        // the traceparent header, so NatsEventBus makes each event's own trace current around its publish.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNatsClientInstrumentation());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddNatsClientInstrumentation());
        return services;
    }

    // A missing address is a deployment mistake, not an outage to retry: say so instead of dialling a default.
    private static string Url(IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName) is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                $"Messaging:Provider is {MessagingOptions.NatsProvider} but ConnectionStrings:{ConnectionStringName} is not set " +
                "(e.g. nats://127.0.0.1:54222; `deploy/local/topology.sh env` prints it).");
}
