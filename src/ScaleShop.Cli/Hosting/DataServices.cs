using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaleShop.Data;

namespace ScaleShop.Cli.Hosting;

/// <summary>
/// The data tier as the storefront configures it (environment variables such as <c>Storage__Provider</c>,
/// or <c>--data-dir</c>), for commands that work on the databases directly.
/// </summary>
public static class DataServices
{
    public static ServiceProvider Build(string? dataDirectory, LogLevel logLevel = LogLevel.Warning)
    {
        var settings = new Dictionary<string, string?>();
        if (dataDirectory is not null)
        {
            settings["Storage:DataDirectory"] = dataDirectory;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(logLevel))
            .AddScaleShopData(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public static Option<string?> DataDirectoryOption() =>
        new("--data-dir") { Description = "Data folder (default: Storage:DataDirectory from configuration, else ./data)." };
}
