using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Observability;

public static class OpsDashboardExtensions
{
    /// <summary>Where the page lives, and the folder beside the binary its build (web/ops) is copied to.</summary>
    public const string PagePath = "/ops";
    public const string AssetsFolder = "ops-dashboard";

    public static IServiceCollection AddOpsDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<OpsDashboardOptions, OpsDashboardOptionsValidator>(configuration, OpsDashboardOptions.SectionName);
        services.AddSingleton<InstrumentReadings>();
        services.AddHostedService(provider => provider.GetRequiredService<InstrumentReadings>());
        services.AddSingleton<OpsDashboard>();
        return services;
    }

    /// <summary>
    /// Serves the page's static shell at <c>/ops</c>. The shell holds no data and is public; it signs in and every
    /// figure it shows comes from admin-only endpoints.
    /// </summary>
    public static WebApplication UseOpsDashboardPage(this WebApplication app)
    {
        var folder = Path.Combine(app.Environment.ContentRootPath, AssetsFolder);
        if (!Directory.Exists(folder))
        {
            // A host started from somewhere other than the build output (a test host over the project folder): the API still works.
            app.Logger.LogWarning("The operations dashboard's assets are not in {Folder}; /ops is not served (dotnet build produces them)", folder);
            return app;
        }

        var files = new PhysicalFileProvider(folder);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = PagePath });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = PagePath,
            // The file names carry no version: revalidate on every load (a 304 is cheap), so a deploy is seen at once.
            OnPrepareResponse = context => context.Context.Response.Headers[HeaderNames.CacheControl] = "no-cache",
        });
        return app;
    }
}
