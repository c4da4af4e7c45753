using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ScaleShop.Data;

/// <summary>Where and how the storefront keeps its data. Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public const string SqliteProvider = "Sqlite";
    public const string PostgresProvider = "Postgres";

    /// <summary><c>Sqlite</c> (embedded defaults: files in <see cref="DataDirectory"/>) or <c>Postgres</c>.</summary>
    [Required]
    [AllowedValues(SqliteProvider, PostgresProvider)]
    public string Provider { get; set; } = SqliteProvider;

    /// <summary>Folder for the SQLite files and the token signing key (when none is configured); the shard map lives in the catalog.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Where migrations come from: unset, the scripts embedded in ScaleShop.Data; set, a folder laid out as a published
    /// version carries them (<c>&lt;Provider&gt;/Catalog/*.sql</c>, <c>&lt;Provider&gt;/Shard/*.sql</c>). The cluster
    /// controller sets it to the version's own folder, the one its expand/contract check read before the rollout, so the
    /// scripts the check approved are the scripts that run. Either way a script has the same name in the journal, so a
    /// database migrated one way is up to date for the other.
    /// </summary>
    public string? MigrationScriptsDirectory { get; set; }

    /// <summary>Logical shards: fixed for the life of the data, because ids carry them.</summary>
    [Range(1, ScaleShop.Data.Sharding.ShardedId.MaxLogicalShards)]
    public int LogicalShards { get; set; } = 64;

    /// <summary>Physical user databases the logical shards are spread over when the shard map is first created.</summary>
    [Range(1, 1024)]
    public int PhysicalShards { get; set; } = 4;

    [Required]
    [ValidateObjectMembers]
    public ShardingOptions Sharding { get; set; } = new();

    [Required]
    [ValidateObjectMembers]
    public SqliteStorageOptions Sqlite { get; set; } = new();

    [Required]
    [ValidateObjectMembers]
    public PostgresStorageOptions Postgres { get; set; } = new();
}

/// <summary>
/// The PostgreSQL provider: the catalog database and one entry per physical shard named in the shard map
/// (<c>shard0</c> …), each a primary connection string and optional streaming replicas.
/// </summary>
public sealed class PostgresStorageOptions
{
    [Required]
    public PostgresDatabaseOptions Catalog { get; set; } = new();

    public Dictionary<string, PostgresDatabaseOptions> Shards { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Pooled connections per physical database and instance.</summary>
    [Range(1, 10_000)]
    public int MaxPoolSize { get; set; } = 64;

    /// <summary>
    /// A statement running longer than this is cancelled and fails. Short on purpose (Npgsql's default is 30 s):
    /// a server that hangs (paused, swapping, a network partition that drops nothing) must fail its queries like
    /// a dead one does, so that its connections are replaced, their opens time out, and its breaker opens,
    /// instead of requests piling up behind it. Bulk work (seeding) sets its own, longer timeout.
    /// </summary>
    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 5;

    /// <summary>Create a configured database that does not exist yet (local topology and tests).</summary>
    public bool CreateMissingDatabases { get; set; } = true;

    /// <summary>
    /// Serve reads from replicas: a read that carries a consistency token only from a replica that has
    /// replayed past it, any other read from a replica no more than <see cref="MaxReplicaLagBytes"/> behind.
    /// </summary>
    public bool ReadFromReplicas { get; set; } = true;

    /// <summary>A replica further behind its primary than this is out of rotation for reads without a token.</summary>
    [Range(0, long.MaxValue)]
    public long MaxReplicaLagBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The bounded wait of read-your-writes: a read whose token no replica is known to have replayed asks the
    /// least-lagging replica directly for up to this long before it goes to the primary. Zero: straight to the primary.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan ReadYourWritesWait { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often each replica's replay position and health are read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReplicaPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a migration statement waits for a table lock before it fails (<c>lock_timeout</c> of the migrating
    /// session). An <c>ALTER TABLE</c> queued behind a long transaction makes every later statement on that table queue
    /// behind its own lock request, so without a bound one slow report would stall the table for every instance, old
    /// version included, for as long as it runs. With it the migration fails instead (the new version does not start, and
    /// its rollout rolls back), the table's traffic waits at most this long, and the next start tries again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MigrationLockTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class PostgresDatabaseOptions
{
    /// <summary>Npgsql connection string of the primary.</summary>
    public string? Primary { get; set; }

    public List<string> Replicas { get; set; } = [];
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

/// <summary>How instances follow the shard map, and how a logical shard is moved between physical databases.</summary>
public sealed class ShardingOptions
{
    /// <summary>How often an instance reads the shard map's version and the moves in progress from the catalog.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MapPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Poll interval while a logical shard's writes are paused: the pause ends the moment the new map is seen.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:00:10")]
    public TimeSpan PausedMapPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest a write waits for a move of its logical shard to finish before it fails with 503 and Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan MaxWritePause { get; set; } = TimeSpan.FromSeconds(15);

    [Required]
    [ValidateObjectMembers]
    public ShardMoveOptions Moves { get; set; } = new();
}

/// <summary>The resharding command's pacing (see <c>ShardMover</c>).</summary>
public sealed class ShardMoveOptions
{
    /// <summary>Rows per copy transaction on the target: small enough that other logical shards' writers there never wait long.</summary>
    [Range(1, 10_000)]
    public int CopyBatchRows { get; set; } = 500;

    /// <summary>
    /// Pause after each copy or delete batch on the target or source, giving the other shards' writers of that
    /// database the lock between batches (SQLite has one writer per file). Not applied inside the write pause.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan PauseBetweenBatches { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Changed rows re-copied per catch-up transaction.</summary>
    [Range(1, 10_000)]
    public int CatchUpBatchRows { get; set; } = 500;

    /// <summary>Catch-up rounds run before the write pause until one round finds fewer changes than this.</summary>
    [Range(0, 1_000_000)]
    public int CatchUpSettledBelow { get; set; } = 100;

    [Range(1, 1000)]
    public int MaxCatchUpRounds { get; set; } = 20;

    /// <summary>Longest wait for writes in flight on the source to finish after it is fenced; past it the move is abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan InFlightWritesTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the moved rows stay on the source after the flip before they are deleted: instances that
    /// have not yet seen the new map still read there for up to one <see cref="ShardingOptions.MapPollInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SourceRetention { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Validates the whole tree at start-up (source-generated, no reflection).</summary>
[OptionsValidator]
public sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;
