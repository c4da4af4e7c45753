using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;

namespace ScaleShop.Storefront.Hosting;

public static class StorefrontHostingExtensions
{
    /// <summary>The HTTP surface's shared settings: limits, OpenAPI, readiness, start-up work.</summary>
    public static IHostApplicationBuilder AddStorefrontApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<ApiOptions, ApiOptionsValidator>(builder.Configuration, ApiOptions.SectionName);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, StorefrontJsonContext.Default));
        services.AddOpenApi();
        // Keys for anything the framework protects (later: the web UI's cookies) live with the shared data,
        // so every instance can read what another wrote. Production keeps them in the key store of its platform.
        var dataDirectory = builder.Configuration[$"{StorageOptions.SectionName}:{nameof(StorageOptions.DataDirectory)}"] ?? new StorageOptions().DataDirectory;
        services.AddDataProtection().SetApplicationName("ScaleShop").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(dataDirectory), "keys")));
        services.AddExceptionHandler<ShardPausedProblemHandler>();
        services.AddExceptionHandler<DependencyUnavailableProblemHandler>();
        services.AddExceptionHandler<TransientConflictProblemHandler>();
        services.AddDatabaseHealthChecks();
        services.AddHostedService<StartupInitializer>();
        services.AddHostedService<StartupBanner>();
        return builder;
    }
}
