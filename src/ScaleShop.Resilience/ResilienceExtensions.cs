using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ScaleShop.Resilience;

public static class ResilienceExtensions
{
    /// <summary>The chaos switchboard (kill switch: <c>Chaos:Enabled</c>) and the registry of circuit states.</summary>
    /// <remarks>Idempotent: the data tier and the storefront's features both ask for it.</remarks>
    public static IServiceCollection AddDependencyResilience(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(s => s.ServiceType == typeof(ChaosSwitchboard)))
        {
            return services;
        }

        services.AddOptions<ChaosOptions>().Bind(configuration.GetSection(ChaosOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ChaosOptions>, ChaosOptionsValidator>();
        services.AddSingleton<ChaosSwitchboard>();
        services.AddSingleton<CircuitStates>();
        services.AddHostedService<ConfiguredFaultsArming>();
        return services;
    }
}

/// <summary>Arms the configured chaos faults after every hosted service has started (migrations and seeding included).</summary>
internal sealed class ConfiguredFaultsArming(ChaosSwitchboard switchboard) : Microsoft.Extensions.Hosting.IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        switchboard.ArmConfiguredFaults();
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
