using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Hosting;

public static class StorefrontHostingExtensions
{
    /// <summary>The HTTP surface's shared settings: limits, OpenAPI, readiness, start-up work.</summary>
    public static IHostApplicationBuilder AddStorefrontApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("databases");
        services.AddHostedService<StartupInitializer>();
        services.AddHostedService<StartupBanner>();
        return builder;
    }
}
