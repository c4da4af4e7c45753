using Microsoft.Extensions.Options;
using ScaleShop.Data;

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

        var provider = configuration.GetSection(MessagingOptions.SectionName)[nameof(MessagingOptions.Provider)] ?? MessagingOptions.InProcess;
        if (string.Equals(provider, MessagingOptions.NatsProvider, StringComparison.OrdinalIgnoreCase))
        {
            services.AddNatsMessaging(configuration);
        }
        else
        {
            services.AddSingleton<IEventBus, InProcessEventBus>();
            services.AddSingleton<IDeadLetterQueue, SqlDeadLetterQueue>();
        }

        return services;
    }
}
