using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data;

/// <summary>Where and how the storefront keeps its data. Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Embedded defaults: <c>Sqlite</c>. The PostgreSQL provider arrives with the production data tier.</summary>
    [Required]
    [AllowedValues("Sqlite")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Folder for the SQLite files, the shard map and the token signing key (embedded defaults).</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Logical shards: fixed for the life of the data, because ids carry them.</summary>
    [Range(1, Sharding.ShardedId.MaxLogicalShards)]
    public int LogicalShards { get; set; } = 64;

    /// <summary>Physical user databases the logical shards are spread over when the shard map is first created.</summary>
    [Range(1, 1024)]
    public int PhysicalShards { get; set; } = 4;

    [Required]
    [ValidateObjectMembers]
    public SqliteStorageOptions Sqlite { get; set; } = new();
}

public sealed class SqliteStorageOptions
{
    /// <summary>
    /// <c>Full</c> fsyncs the write-ahead log on every commit, so an acknowledged order survives power loss;
    /// <c>Normal</c> survives a process crash only. Default Full: orders are money.
    /// </summary>
    [AllowedValues("Full", "Normal")]
    public string Synchronous { get; set; } = "Full";

    /// <summary>Seconds a command waits on a locked database before failing.</summary>
    [Range(1, 300)]
    public int BusyTimeoutSeconds { get; set; } = 15;

    /// <summary>Page cache per connection, in KiB.</summary>
    [Range(512, 1_048_576)]
    public int CacheSizeKiB { get; set; } = 16_384;
}

/// <summary>Validates the whole tree at start-up (source-generated, no reflection).</summary>
[OptionsValidator]
public sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;
