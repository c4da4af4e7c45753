using Microsoft.Extensions.Options;
using ScaleShop.Cluster.Autoscaling;
using ScaleShop.Cluster.Control;
using ScaleShop.Cluster.Fleet;
using ScaleShop.Cluster.Gateway;
using ScaleShop.Cluster.Hosting;
using ScaleShop.Cluster.Rollouts;
using ScaleShop.Cluster.Versions;
using ScaleShop.Deployment.Autoscaling;
using ScaleShop.Deployment.Canary;
using ScaleShop.ServiceDefaults;

// The cluster controller: the gateway, the payment provider, the recommendations service and N storefront
// instances as child processes, and the control API that deploys, rolls back and scales them.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddCluster();
builder.WebHost.UseUrls(builder.Configuration.GetSection(ClusterOptions.SectionName).Get<ClusterOptions>()?.ControlUrl.ToString() ?? new ClusterOptions().ControlUrl.ToString());

var app = builder.Build();
app.UseProblemDetailsForErrors();
app.MapDefaultEndpoints();
app.MapControlApi();
app.Run();

namespace ScaleShop.Cluster.Hosting
{
    public static class ClusterHostingExtensions
    {
        public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
        {
            var services = builder.Services;
            var configuration = builder.Configuration;
            services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.SectionName)).ValidateOnStart();
            services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
            services.AddOptions<RolloutOptions>().Bind(configuration.GetSection(RolloutOptions.SectionName)).ValidateOnStart();
            services.AddSingleton<IValidateOptions<RolloutOptions>, RolloutOptionsValidator>();
            services.AddOptions<CanaryOptions>().Bind(configuration.GetSection(RolloutOptions.SectionName + ":Canary")).ValidateDataAnnotations().ValidateOnStart();
            services.AddOptions<AutoscaleLoopOptions>().Bind(configuration.GetSection(AutoscaleLoopOptions.SectionName)).ValidateOnStart();
            services.AddSingleton<IValidateOptions<AutoscaleLoopOptions>, AutoscaleLoopOptionsValidator>();
            services.AddOptions<AutoscaleOptions>().Bind(configuration.GetSection(AutoscaleLoopOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();

            // Stopping drains every instance and stops every child: give it the time that takes.
            services.PostConfigure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromMinutes(3));
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<ClusterSecrets>();
            services.AddSingleton<ClusterEnvironment>();
            services.AddSingleton(sp => new VersionStore(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.VersionsDirectory));
            services.AddSingleton(sp => new GatewayClient(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.GatewayAdminUrl,
                sp.GetRequiredService<ClusterSecrets>().GatewayAdminKey, TimeSpan.FromSeconds(10)));
            services.AddSingleton(sp => new ScaleShop.Cluster.Processes.ProcessLedger(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.StateDirectory));
            services.AddSingleton<StorefrontFleet>();
            services.AddSingleton<FixedParts>();
            services.AddSingleton<DeploymentHistory>();
            services.AddSingleton<ErrorBudgets>();
            services.AddSingleton<ClusterController>();
            services.AddSingleton<AutoscaleLoop>();
            services.AddHostedService<ClusterLifecycle>();
            services.AddHostedService(sp => sp.GetRequiredService<AutoscaleLoop>());
            return builder;
        }
    }
}
