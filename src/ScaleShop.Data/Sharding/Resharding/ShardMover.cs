using System.Buffers;
using System.Buffers.Binary;
using System.Data.Common;
using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ScaleShop.Data.Migrations;

namespace ScaleShop.Data.Sharding.Resharding;

/// <summary>Row count and an order-independent checksum of one table's rows of one logical shard.</summary>
public readonly record struct TableChecksum(long Rows, ulong Checksum);

public sealed record ShardMoveReport(
    int LogicalShard, string Source, string Target, int FromVersion, int ToVersion,
    IReadOnlyDictionary<string, long> RowsCopied, int CatchUpRounds, long ChangesCaughtUp,
    IReadOnlyDictionary<string, TableChecksum> Verified, TimeSpan WritePause, TimeSpan Elapsed, bool SourceRowsDeleted,
    DateTimeOffset PauseStartedAt, DateTimeOffset PauseEndedAt);

public sealed class ShardMoveVerificationException(string message) : Exception(message);

/// <summary>
/// Moves one logical shard to another physical database while the storefront takes traffic.
/// <list type="number">
/// <item>Fence the target ('incoming': nobody but the mover writes it) and clear leftovers there.</item>
/// <item>Fence the source 'copying': writes go on, and a trigger logs the key of every row they touch. Wait out
/// writes already in flight, so every later one is logged.</item>
/// <item>Copy the shard from one snapshot of the source, in small transactions on the target.</item>
/// <item>Catch up: re-copy the logged rows, round after round, until a round finds little to do.</item>
/// <item>Freeze: the catalog says the shard is paused (instances hold its writes back) and the source fence
/// refuses writes; wait out writes in flight; a last catch-up leaves the log empty.</item>
/// <item>Verify every table's row count and checksum on both sides; any difference abandons the move.</item>
/// <item>Flip: lift the target's fence, publish the next map version (instances switch within a poll),
/// mark the source 'moved' (a stale instance's write is refused, learns the map and goes to the target).</item>
/// <item>After <see cref="ShardMoveOptions.SourceRetention"/>, delete the shard's rows on the source.</item>
/// </list>
/// Any failure before the flip abandons the move (<see cref="AbortAsync(int, CancellationToken)"/>): the source
/// is writable again and the target holds nothing. Moving the shard back is the same operation in reverse.
/// Only the moving shard's writes pause; the other shards of both databases are never blocked, because every
/// target write is a short transaction and the source is only read.
/// </summary>
public sealed class ShardMover(
    IDatabaseRouter databases, ShardMapStore maps, DatabaseMigrator migrator, IOptions<StorageOptions> options, TimeProvider time, ILogger<ShardMover> logger)
{
    private const string Incoming = "incoming";
    private const string Copying = "copying";
    private const string Frozen = "frozen";
    private const string Moved = "moved";

    private ShardMoveOptions Pacing => options.Value.Sharding.Moves;

    public async Task<ShardMoveReport> MoveAsync(int logicalShard, string target, bool keepSourceRows, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (map, moves) = await maps.ReadAsync(cancellationToken);
        if (logicalShard < 0 || logicalShard >= map.LogicalShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(logicalShard), logicalShard, $"There are {map.LogicalShardCount} logical shards (0 to {map.LogicalShardCount - 1}).");
        }

        var source = map.PhysicalDatabaseOf(logicalShard);
        if (source == target)
        {
            throw new ArgumentException($"Logical shard {logicalShard} is already on '{target}'.", nameof(target));
        }

        if (moves.Any(m => m.LogicalShard == logicalShard))
        {
            throw new InvalidOperationException($"Logical shard {logicalShard} is already being moved; if its mover died, run the abort command first.");
        }

        migrator.MigrateShard(target); // a new database gets the schema (and its fence triggers) first
        if (!await maps.TryBeginMoveAsync(logicalShard, source, target, cancellationToken))
        {
            throw new InvalidOperationException($"Logical shard {logicalShard} is already being moved.");
        }

        logger.LogInformation("Moving logical shard {LogicalShard} from {Source} to {Target} (map version {Version})", logicalShard, source, target, map.Version);
        var flipped = false;
        try
        {
            progress?.Report($"fencing {target} (incoming) and clearing leftovers");
            await SetFenceAsync(target, logicalShard, Incoming, cancellationToken);
            await DeleteShardRowsAsync(target, logicalShard, cancellationToken);

            progress?.Report($"logging writes on {source} and waiting for writes in flight");
            await SetFenceAsync(source, logicalShard, Copying, cancellationToken);
            await databases.WaitForWritesInFlightAsync(source, Pacing.InFlightWritesTimeout, cancellationToken);

            progress?.Report("copying from one snapshot");
            var copied = await CopyShardAsync(source, target, logicalShard, cancellationToken);
            progress?.Report($"copied {copied.Values.Sum():N0} rows");

            var rounds = 0;
            long caughtUp = 0;
            while (rounds < Pacing.MaxCatchUpRounds)
            {
                var changes = await CatchUpRoundAsync(source, target, logicalShard, cancellationToken);
                rounds++;
                caughtUp += changes;
                progress?.Report($"catch-up round {rounds}: {changes} changes");
                if (changes < Pacing.CatchUpSettledBelow)
                {
                    break;
                }
            }

            // The pause: from here until the flip, writes to this shard wait (or, on an instance that has not
            // seen the catalog say so yet, are refused by the fence and retried).
            await maps.SetMoveStateAsync(logicalShard, ShardMoveStates.Frozen, cancellationToken);
            var pauseStarted = time.GetUtcNow();
            var pause = Stopwatch.GetTimestamp();
            await SetFenceAsync(source, logicalShard, Frozen, cancellationToken);
            await databases.WaitForWritesInFlightAsync(source, Pacing.InFlightWritesTimeout, cancellationToken);
            long lastChanges;
            do
            {
                lastChanges = await CatchUpRoundAsync(source, target, logicalShard, cancellationToken);
                caughtUp += lastChanges;
            }
            while (lastChanges > 0);

            progress?.Report($"frozen and caught up after {Stopwatch.GetElapsedTime(pause).TotalMilliseconds:F0} ms; verifying row counts and checksums");
            var verified = await VerifyAsync(source, target, logicalShard, cancellationToken);
            progress?.Report($"verified {verified.Values.Sum(v => v.Rows):N0} rows on each side after {Stopwatch.GetElapsedTime(pause).TotalMilliseconds:F0} ms of pause");

            await ClearFenceAsync(target, logicalShard, cancellationToken);
            var next = await maps.PublishMoveAsync(logicalShard, target, $"move logical shard {logicalShard} from {source} to {target}", cancellationToken);
            flipped = true;
            var writePause = Stopwatch.GetElapsedTime(pause);
            var pauseEnded = time.GetUtcNow();
            progress?.Report($"map version {next.Version} published; writes paused for {writePause.TotalMilliseconds:F0} ms");
            await SetFenceAsync(source, logicalShard, Moved, cancellationToken);
            await ClearChangesAsync(source, logicalShard, cancellationToken);

            if (!keepSourceRows)
            {
                progress?.Report($"keeping the source rows {Pacing.SourceRetention.TotalSeconds:F0} s for instances still on version {map.Version}, then deleting them");
                await Task.Delay(Pacing.SourceRetention, time, cancellationToken);
                await DeleteShardRowsAsync(source, logicalShard, cancellationToken);
            }

            logger.LogInformation("Moved logical shard {LogicalShard} from {Source} to {Target}: map version {Version}, writes paused {PauseMs} ms",
                logicalShard, source, target, next.Version, writePause.TotalMilliseconds);
            return new ShardMoveReport(logicalShard, source, target, map.Version, next.Version, copied, rounds, caughtUp, verified,
                writePause, Stopwatch.GetElapsedTime(started), !keepSourceRows, pauseStarted, pauseEnded);
        }
        catch (Exception exception) when (!flipped)
        {
            logger.LogError(exception, "Moving logical shard {LogicalShard} from {Source} to {Target} failed; abandoning it", logicalShard, source, target);
            progress?.Report($"failed ({exception.Message}); abandoning the move");
            await AbortAsync(logicalShard, source, target, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Abandons a move that is recorded in the catalog (its mover died): the source takes writes again, the target is emptied.</summary>
    public async Task<bool> AbortAsync(int logicalShard, CancellationToken cancellationToken)
    {
        var (_, moves) = await maps.ReadAsync(cancellationToken);
        if (moves.FirstOrDefault(m => m.LogicalShard == logicalShard) is not { } move)
        {
            return false;
        }

        await AbortAsync(logicalShard, move.Source, move.Target, cancellationToken);
        return true;
    }

    private async Task AbortAsync(int logicalShard, string source, string target, CancellationToken cancellationToken)
    {
        var (current, _) = await maps.ReadAsync(cancellationToken);
        if (current.PhysicalDatabaseOf(logicalShard) == target)
        {
            // The flip committed even though its caller saw an error: the move happened; undoing it now
            // would let writes land in two places. Finish instead.
            await SetFenceAsync(source, logicalShard, Moved, cancellationToken);
            await ClearFenceAsync(target, logicalShard, cancellationToken);
            await maps.EndMoveAsync(logicalShard, cancellationToken);
            return;
        }

        await ClearFenceAsync(source, logicalShard, cancellationToken);
        await ClearChangesAsync(source, logicalShard, cancellationToken);
        await maps.EndMoveAsync(logicalShard, cancellationToken);
        await SetFenceAsync(target, logicalShard, Moved, cancellationToken);
        await DeleteShardRowsAsync(target, logicalShard, cancellationToken);
        await maps.RefreshAsync(cancellationToken);
    }

    /// <summary>Counts and checksums every table's rows of the logical shard on both sides; throws on any difference.</summary>
    public async Task<IReadOnlyDictionary<string, TableChecksum>> VerifyAsync(string source, string target, int logicalShard, CancellationToken cancellationToken)
    {
        // Both sides at once: this runs inside the write pause.
        var sums = await Task.WhenAll(ChecksumAsync(source, logicalShard, cancellationToken), ChecksumAsync(target, logicalShard, cancellationToken));
        var (sourceSums, targetSums) = (sums[0], sums[1]);
        var differences = sourceSums.Where(s => targetSums[s.Key] != s.Value)
            .Select(s => $"{s.Key}: {s.Value.Rows} rows ({s.Value.Checksum:x16}) on {source}, {targetSums[s.Key].Rows} rows ({targetSums[s.Key].Checksum:x16}) on {target}")
            .ToList();
        if (differences.Count > 0)
        {
            throw new ShardMoveVerificationException($"Logical shard {logicalShard} differs after the copy: {string.Join("; ", differences)}.");
        }

        return sourceSums;
    }

    public async Task<IReadOnlyDictionary<string, TableChecksum>> ChecksumAsync(string physicalDatabase, int logicalShard, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.ReadYourWrites, cancellationToken);
        await using var snapshot = databases.BeginSnapshotTransaction(connection);
        var sums = new Dictionary<string, TableChecksum>(StringComparer.Ordinal);
        foreach (var table in ShardTables.All)
        {
            long rows = 0;
            ulong checksum = 0;
            await using var command = Command(connection, snapshot, $"SELECT {table.ColumnList} FROM {table.Name} WHERE {table.ShardPredicate}", ("shard", logicalShard));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var values = new object[table.Columns.Length];
            var buffer = new ArrayBufferWriter<byte>(256);
            while (await reader.ReadAsync(cancellationToken))
            {
                reader.GetValues(values);
                rows++;
                checksum = unchecked(checksum + RowHash(values, buffer)); // a sum: the same rows in any order give the same checksum
            }

            sums[table.Name] = new TableChecksum(rows, checksum);
        }

        await snapshot.CommitAsync(cancellationToken);
        return sums;
    }

    private async Task<Dictionary<string, long>> CopyShardAsync(string source, string target, int logicalShard, CancellationToken cancellationToken)
    {
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var connection = await databases.OpenPhysicalShardAsync(source, DataIntent.ReadYourWrites, cancellationToken);
        await using var snapshot = databases.BeginSnapshotTransaction(connection);
        foreach (var table in ShardTables.All)
        {
            await using var command = Command(connection, snapshot, $"SELECT {table.ColumnList} FROM {table.Name} WHERE {table.ShardPredicate}", ("shard", logicalShard));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var batch = new List<object[]>(Pacing.CopyBatchRows);
            long rows = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = new object[table.Columns.Length];
                reader.GetValues(values);
                batch.Add(values);
                if (batch.Count == Pacing.CopyBatchRows)
                {
                    await WithFenceLiftedAsync(target, logicalShard, (c, t) => InsertAsync(c, t, table, batch, cancellationToken), cancellationToken);
                    rows += batch.Count;
                    batch.Clear();
                    await ThrottleAsync(cancellationToken);
                }
            }

            if (batch.Count > 0)
            {
                await WithFenceLiftedAsync(target, logicalShard, (c, t) => InsertAsync(c, t, table, batch, cancellationToken), cancellationToken);
                rows += batch.Count;
            }

            copied[table.Name] = rows;
        }

        await snapshot.CommitAsync(cancellationToken);
        return copied;
    }

    /// <summary>
    /// Re-copies the rows the source's log says changed, a batch at a time: each batch's rows are read from one
    /// snapshot of the source and replace the same keys on the target in one transaction (a key gone from the
    /// source is deleted). Log entries are deleted by their sequence numbers only after they are applied, so
    /// a change committed while this runs, whatever its sequence number, is found by the next round.
    /// Returns the entries applied.
    /// </summary>
    private async Task<long> CatchUpRoundAsync(string source, string target, int logicalShard, CancellationToken cancellationToken)
    {
        long applied = 0;
        List<ChangeRow> entries;
        await using (var connection = await databases.OpenPhysicalShardAsync(source, DataIntent.ReadYourWrites, cancellationToken))
        {
            entries = (await connection.QueryAsync<ChangeRow>(new CommandDefinition(
                "SELECT seq AS Seq, table_name AS TableName, id1 AS Id1, id2 AS Id2, txt AS Txt FROM shard_changes WHERE logical_shard = @logicalShard ORDER BY seq LIMIT @limit",
                new { logicalShard, limit = Pacing.CatchUpBatchRows * 20 }, cancellationToken: cancellationToken))).AsList();
        }

        foreach (var chunk in entries.Chunk(Pacing.CatchUpBatchRows))
        {
            var changed = ShardTables.All
                .Select(table => (Table: table, Keys: chunk.Where(e => e.TableName == table.Name).Select(e => e.KeyOf(table)).DistinctBy(KeyText).ToList()))
                .Where(t => t.Keys.Count > 0)
                .ToList();
            var rows = new List<(ShardTable Table, List<object[]> Keys, List<object[]> Rows)>();
            await using (var connection = await databases.OpenPhysicalShardAsync(source, DataIntent.ReadYourWrites, cancellationToken))
            await using (var snapshot = databases.BeginSnapshotTransaction(connection))
            {
                foreach (var (table, keys) in changed)
                {
                    await using var command = KeyedCommand(connection, snapshot, $"SELECT {table.ColumnList} FROM {table.Name}", table, keys);
                    rows.Add((table, keys, await ReadAllAsync(command, table.Columns.Length, cancellationToken)));
                }

                await snapshot.CommitAsync(cancellationToken);
            }

            await WithFenceLiftedAsync(target, logicalShard, async (connection, transaction) =>
            {
                foreach (var (table, keys, tableRows) in rows)
                {
                    await using (var delete = KeyedCommand(connection, transaction, $"DELETE FROM {table.Name}", table, keys))
                    {
                        await delete.ExecuteNonQueryAsync(cancellationToken);
                    }

                    foreach (var batch in tableRows.Chunk(Pacing.CopyBatchRows))
                    {
                        await InsertAsync(connection, transaction, table, batch, cancellationToken);
                    }
                }
            }, cancellationToken);

            await using (var connection = await databases.OpenPhysicalShardAsync(source, DataIntent.Write, cancellationToken))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM shard_changes WHERE seq {databases.Dialect.InList("@seqs")}", new { seqs = chunk.Select(e => e.Seq).ToArray() }, cancellationToken: cancellationToken));
            }

            applied += chunk.Length;
        }

        return applied;
    }

    /// <summary><paramref name="verb"/> restricted to the rows whose primary key is one of <paramref name="keys"/>.</summary>
    private static DbCommand KeyedCommand(DbConnection connection, DbTransaction transaction, string verb, ShardTable table, IReadOnlyList<object[]> keys)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = new StringBuilder();
        for (var k = 0; k < keys.Count; k++)
        {
            where.Append(k == 0 ? "(" : " OR (");
            for (var c = 0; c < table.KeyColumns.Length; c++)
            {
                var name = $"k{k}_{c}";
                where.Append(c == 0 ? "" : " AND ").Append(table.KeyColumns[c]).Append(" = @").Append(name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = keys[k][c];
                command.Parameters.Add(parameter);
            }

            where.Append(')');
        }

        command.CommandText = $"{verb} WHERE {where}";
        return command;
    }

    private static async Task<List<object[]>> ReadAllAsync(DbCommand command, int columns, CancellationToken cancellationToken)
    {
        var rows = new List<object[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var values = new object[columns];
            reader.GetValues(values);
            rows.Add(values);
        }

        return rows;
    }

    private static string KeyText(object[] key) => string.Join('\u001f', key.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)));

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, ShardTable table, IReadOnlyList<object[]> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var sql = new StringBuilder($"INSERT INTO {table.Name} ({table.ColumnList}) VALUES ");
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        for (var r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < table.Columns.Length; c++)
            {
                var name = $"p{r}_{c}";
                sql.Append(c == 0 ? "@" : ", @").Append(name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = rows[r][c];
                command.Parameters.Add(parameter);
            }

            sql.Append(')');
        }

        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task DeleteShardRowsAsync(string physicalDatabase, int logicalShard, CancellationToken cancellationToken)
    {
        // PostgreSQL: bounded transactions (by ctid), so a big shard's delete never holds other shards'
        // writers back. SQLite tables are partly WITHOUT ROWID and one statement per table is short there.
        var batched = databases.Provider == StorageOptions.PostgresProvider;
        foreach (var table in ShardTables.All)
        {
            var sql = batched
                ? $"DELETE FROM {table.Name} WHERE ctid IN (SELECT ctid FROM {table.Name} WHERE {table.ShardPredicate} LIMIT {Pacing.CopyBatchRows})"
                : $"DELETE FROM {table.Name} WHERE {table.ShardPredicate}";
            int deleted;
            do
            {
                deleted = await WithFenceLiftedAsync(physicalDatabase, logicalShard, async (connection, transaction) =>
                {
                    await using var command = Command(connection, transaction, sql, ("shard", logicalShard));
                    return await command.ExecuteNonQueryAsync(cancellationToken);
                }, cancellationToken);
                await ThrottleAsync(cancellationToken);
            }
            while (batched && deleted > 0);
        }
    }

    private Task ThrottleAsync(CancellationToken cancellationToken) =>
        Pacing.PauseBetweenBatches > TimeSpan.Zero ? Task.Delay(Pacing.PauseBetweenBatches, time, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Runs the mover's own writes to a fenced shard: the fence row is removed and put back inside the same
    /// transaction, so no other session ever sees it lifted (PostgreSQL readers see the committed row; SQLite
    /// has no other writer meanwhile), and the fence triggers neither refuse nor log these writes.
    /// </summary>
    private async Task<T> WithFenceLiftedAsync<T>(string physicalDatabase, int logicalShard, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        await using var transaction = databases.BeginWriteTransaction(connection);
        var fence = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            $"SELECT state FROM shard_fences WHERE logical_shard = @logicalShard {databases.Dialect.LockRows}", new { logicalShard }, transaction, cancellationToken: cancellationToken));
        if (fence is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM shard_fences WHERE logical_shard = @logicalShard", new { logicalShard }, transaction, cancellationToken: cancellationToken));
        }

        var result = await work(connection, transaction);
        if (fence is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO shard_fences (logical_shard, state) VALUES (@logicalShard, @fence)", new { logicalShard, fence }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private Task WithFenceLiftedAsync(string physicalDatabase, int logicalShard, Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken) =>
        WithFenceLiftedAsync(physicalDatabase, logicalShard, async (c, t) =>
        {
            await work(c, t);
            return true;
        }, cancellationToken);

    private async Task SetFenceAsync(string physicalDatabase, int logicalShard, string state, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO shard_fences (logical_shard, state) VALUES (@logicalShard, @state) ON CONFLICT (logical_shard) DO UPDATE SET state = excluded.state",
            new { logicalShard, state }, cancellationToken: cancellationToken));
    }

    private async Task ClearFenceAsync(string physicalDatabase, int logicalShard, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM shard_fences WHERE logical_shard = @logicalShard", new { logicalShard }, cancellationToken: cancellationToken));
    }

    private async Task ClearChangesAsync(string physicalDatabase, int logicalShard, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenPhysicalShardAsync(physicalDatabase, DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM shard_changes WHERE logical_shard = @logicalShard", new { logicalShard }, cancellationToken: cancellationToken));
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value is int i ? (long)i : value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>XxHash3 over the row's values, each tagged with its kind and length, so that (1, "2") and ("1", 2) differ.</summary>
    private static ulong RowHash(object[] values, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        foreach (var value in values)
        {
            switch (value)
            {
                case null or DBNull:
                    buffer.GetSpan(1)[0] = 0;
                    buffer.Advance(1);
                    break;
                case long or int or short:
                    var number = buffer.GetSpan(9);
                    number[0] = 1;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                    buffer.Advance(9);
                    break;
                case string text:
                    var header = buffer.GetSpan(9);
                    header[0] = 2;
                    BinaryPrimitives.WriteInt32LittleEndian(header[1..], text.Length);
                    buffer.Advance(5);
                    var written = Encoding.UTF8.GetBytes(text, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
                    buffer.Advance(written);
                    break;
                default:
                    throw new NotSupportedException($"The mover does not checksum values of type {value.GetType().Name}.");
            }
        }

        return XxHash3.HashToUInt64(buffer.WrittenSpan);
    }

    private sealed class ChangeRow
    {
        public long Seq { get; init; }

        public string TableName { get; init; } = "";

        public long? Id1 { get; init; }

        public long? Id2 { get; init; }

        public string? Txt { get; init; }

        /// <summary>The logged key in the order of the table's key columns.</summary>
        public object[] KeyOf(ShardTable table) => table.LogColumns.Select(column => column switch
        {
            "id1" => (object?)Id1,
            "id2" => Id2,
            _ => Txt,
        } ?? throw new InvalidDataException($"A change of {TableName} logged no value for {column}.")).ToArray();
    }
}
