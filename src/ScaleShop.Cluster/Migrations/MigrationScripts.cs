using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ScaleShop.Cluster.Migrations;

/// <summary>One schema script a version carries: <c>Sqlite/Catalog/0009_incidents.sql</c> and its text.</summary>
public sealed record MigrationScript(string Name, string Sql);

/// <summary>
/// The migration scripts of a version. ScaleShop.Data embeds them (DbUp runs them from the assembly); publishing a
/// version writes them out as files under <c>migrations/&lt;Provider&gt;/&lt;Database&gt;/</c>, read here.
/// </summary>
public static class MigrationScripts
{
    public const string FolderName = "migrations";
    private const string ResourcePrefix = "ScaleShop.Data.Migrations.";
    private const string Extension = ".sql";

    /// <summary>Every script under <paramref name="directory"/>, by its path relative to it (forward slashes).</summary>
    public static IReadOnlyDictionary<string, MigrationScript> Read(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return new Dictionary<string, MigrationScript>();
        }

        return Directory.EnumerateFiles(directory, "*" + Extension, SearchOption.AllDirectories)
            .Select(file => new MigrationScript(Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText(file)))
            .ToDictionary(script => script.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes the scripts embedded in a ScaleShop.Data.dll as files. Read with System.Reflection.Metadata, not
    /// loaded: the assembly is another build's and must not be loaded into this process.
    /// </summary>
    public static int Extract(string dataAssembly, string directory)
    {
        using var stream = File.OpenRead(dataAssembly);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var resources = pe.PEHeaders.CorHeader?.ResourcesDirectory ?? throw new InvalidDataException($"{dataAssembly} is not a .NET assembly.");
        var section = pe.GetSectionData(resources.RelativeVirtualAddress);
        var written = 0;
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            var name = metadata.GetString(resource.Name);
            if (!resource.Implementation.IsNil || !name.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal))
            {
                continue;
            }

            // An embedded resource is a 4-byte length and its bytes, at its offset in the resources directory.
            var reader = section.GetReader((int)resource.Offset, resources.Size - (int)resource.Offset);
            var length = reader.ReadInt32();
            var bytes = reader.ReadBytes(length);

            // ScaleShop.Data.Migrations.Sqlite.Catalog.0001_catalog.sql → Sqlite/Catalog/0001_catalog.sql
            var parts = name[ResourcePrefix.Length..^Extension.Length].Split('.');
            if (parts.Length < 3)
            {
                continue;
            }

            var path = Path.Combine(directory, parts[0], parts[1], string.Join('.', parts[2..]) + Extension);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            written++;
        }

        return written;
    }
}
