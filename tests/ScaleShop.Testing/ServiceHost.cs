using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace ScaleShop.Testing;

/// <summary>
/// A separate ScaleShop process (the payment provider, the recommendations service) run for real on Kestrel
/// (a loopback port) with a data folder of its own, deleted on dispose; its faults are settable at run time.
/// </summary>
public abstract class ServiceHost<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    private readonly string _directory;

    protected ServiceHost(string name)
    {
        _directory = Path.Combine(Path.GetTempPath(), $"scaleshop-{name}-{Guid.NewGuid():N}");
        UseKestrel(0);
    }

    public Uri BaseAddress => CreateClient().BaseAddress!;

    /// <summary>The configuration key of the service's data folder, e.g. <c>PaymentProvider:DataDirectory</c>.</summary>
    protected abstract string DataDirectorySetting { get; }

    /// <summary>Settings of the service's own beyond the data folder.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    public ValueTask InitializeAsync()
    {
        TestHostStarts.Run(StartServer);
        return ValueTask.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            [DataDirectorySetting] = _directory,
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
    }

    /// <summary>Sets the service's injected faults (<c>PUT /admin/faults</c>); fields left out are zero.</summary>
    protected async Task PutFaultsAsync(object faults)
    {
        using var admin = CreateClient();
        (await admin.PutAsJsonAsync("/admin/faults", faults)).EnsureSuccessStatusCode();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open: the temp folder is cleaned later.
        }

        GC.SuppressFinalize(this);
    }
}
