using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Accounts;

/// <summary>
/// The data-protection key ring in the catalog database, which every storefront instance already shares: a sign-in
/// cookie or antiforgery token made by one instance (or by the version before, mid-deploy) is read by any other.
/// A key ring per process would sign everyone out whenever the gateway picked another instance; a file needs a
/// volume every pod can write; Redis would make signing in depend on the cache, which may fail without harm.
/// The key ring is read when a process first needs it and again about daily, so these calls are rare; the
/// interface is synchronous, hence the blocking waits.
/// </summary>
public sealed class DataProtectionKeyStore(IDatabaseRouter databases) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => ReadAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => WriteAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> ReadAsync()
    {
        // From the primary: a key another instance has just added must be seen, or its cookies would be refused.
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, CancellationToken.None);
        var rows = await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY name");
        return rows.Select(XElement.Parse).ToList();
    }

    private async Task WriteAsync(XElement element, string friendlyName)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, CancellationToken.None);
        await connection.ExecuteAsync(
            "INSERT INTO data_protection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING",
            new { name = friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
