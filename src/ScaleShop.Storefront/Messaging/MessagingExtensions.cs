using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Resilience;

namespace ScaleShop.Storefront.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// The outbox and its dispatcher, consumer delivery (retries, dead letters) and the bus: in-process on
    /// embedded defaults, NATS JetStream when <c>Messaging:Provider</c> is <c>Nats</c>.
    /// Consumers register themselves as <see cref="IEventConsumer"/> singletons.
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MessagingOptions, MessagingOptionsValidator>(configuration, MessagingOptions.SectionName);
        services.AddSingleton<MessagingMetrics>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<ProcessedEvents>();
        services.AddSingleton<EventConsumerRunner>();
        services.AddSingleton<DeadLetterReplayer>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<ProcessedEventsPurger>();
        services.AddHostedService(sp => sp.GetRequiredService<ProcessedEventsPurger>());

        // The provider is read when the services are resolved, not here: configuration a test host adds
        // (WebApplicationFactory) is not always visible yet while Program registers services.
        services.AddSingleton<InProcessEventBus>();
        services.AddSingleton<DeferredDeliveries>();
        services.AddSingleton<DeferredDeliveryWorker>();
        services.AddSingleton<SqlDeadLetterQueue>();
        services.AddNatsMessaging(configuration);
        services.AddDependencyResilience(configuration);
        services.AddSingleton<IEventBus>(sp => ActivatorUtilities.CreateInstance<ResilientEventBus>(sp,
            UsesNats(sp) ? sp.GetRequiredService<NatsEventBus>() : sp.GetRequiredService<InProcessEventBus>()));
        services.AddSingleton<IDeadLetterQueue>(sp => UsesNats(sp) ? sp.GetRequiredService<NatsDeadLetterQueue>() : sp.GetRequiredService<SqlDeadLetterQueue>());
        services.AddSingleton<IHostedService>(sp => UsesNats(sp) ? sp.GetRequiredService<NatsConsumerHost>() : sp.GetRequiredService<DeferredDeliveryWorker>());
        services.AddHealthChecks();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<MessagingOptions>>((checks, messaging) =>
        {
            if (string.Equals(messaging.Value.Provider, MessagingOptions.NatsProvider, StringComparison.OrdinalIgnoreCase))
            {
                checks.Registrations.Add(new HealthCheckRegistration(NatsHealthCheck.CheckName,
                    sp => new NatsHealthCheck(sp.GetRequiredService<NATS.Client.Core.INatsConnection>()), HealthStatus.Degraded, tags: null));
            }
        });

        return services;
    }

    private static bool UsesNats(IServiceProvider services) =>
        string.Equals(services.GetRequiredService<IOptions<MessagingOptions>>().Value.Provider, MessagingOptions.NatsProvider, StringComparison.OrdinalIgnoreCase);
}
