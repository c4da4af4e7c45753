using System.Data.Common;
using Dapper;
using ScaleShop.Data;

namespace ScaleShop.Storefront.Anomalies;

/// <summary>
/// Incidents in the catalog database, shared by every instance. Grouping, root cause and severity are decided
/// here inside one transaction, so two instances that see the same fault end up in one incident: the partial
/// unique index allows one active incident per root-cause component, and the loser of a race joins the winner's.
/// </summary>
public sealed class IncidentStore(IDatabaseRouter databases, Ownership ownership, TimeProvider time, ILogger<IncidentStore> logger)
{
    private const string Columns =
        "id AS Id, component AS Component, team AS Team, severity AS Severity, status AS Status, title AS Title, runbook AS Runbook, opened_at AS OpenedAt, " +
        "last_signal_at AS LastSignalAt, acknowledged_at AS AcknowledgedAt, acknowledged_by AS AcknowledgedBy, resolved_at AS ResolvedAt, resolved_by AS ResolvedBy, " +
        "version AS Version, notified_version AS NotifiedVersion";

    private const string SignalColumns = "incident_id AS IncidentId, series AS Series, component AS Component, kind AS Kind, at AS At, value AS Value, score AS Score";

    /// <summary>
    /// Files a tick's signals: into the active incident that had a signal within <paramref name="groupWindow"/>,
    /// or a new one. Returns the incident, or null when there was nothing to file.
    /// </summary>
    public async Task<Incident?> RecordAsync(IReadOnlyList<AnomalySignal> signals, TimeSpan groupWindow, CancellationToken cancellationToken)
    {
        if (signals.Count == 0)
        {
            return null;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await RecordOnceAsync(signals, groupWindow, cancellationToken);
            }
            catch (Exception e) when (databases.Dialect.IsUniqueViolation(e) && attempt == 0)
            {
                // Another instance opened the incident for this root cause a moment ago: join theirs.
                logger.LogInformation("Another instance opened the incident first; joining it.");
            }
        }
    }

    private async Task<Incident> RecordOnceAsync(IReadOnlyList<AnomalySignal> signals, TimeSpan groupWindow, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var since = (time.GetUtcNow() - groupWindow).ToUnixTimeMilliseconds();
        var root = signals.FirstOrDefault(s => s.IsCause) ?? signals[0];
        // Related signals close in time join the incident being worked on; later ones for a cause that still has
        // an incident open (not resolved) join that one, whatever its age.
        var active = await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM incidents WHERE status <> '{IncidentStatuses.Resolved}' AND (last_signal_at >= @since OR component = @Component) " +
            $"ORDER BY CASE WHEN last_signal_at >= @since THEN 0 ELSE 1 END, last_signal_at DESC LIMIT 1 {databases.Dialect.LockRows}",
            new { since, root.Component }, transaction, cancellationToken: cancellationToken));

        long id;
        Row before;
        if (active is null)
        {
            var owner = ownership.OwnerOf(root.Component);
            var now = signals.Max(s => s.At).ToUnixTimeMilliseconds();
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO incidents (component, team, severity, status, title, runbook, opened_at, last_signal_at, version)
                VALUES (@Component, @team, @severity, @status, @title, @runbook, @now, @now, 1)
                RETURNING id
                """,
                new { root.Component, team = owner.Team.Id, severity = IncidentSeverities.Of(signals), status = IncidentStatuses.Open, title = Title(root), runbook = owner.Runbook, now },
                transaction, cancellationToken: cancellationToken));
            before = new Row { Id = id, Component = root.Component, Team = owner.Team.Id, Severity = IncidentSeverities.Of(signals), Version = 1, LastSignalAt = now };
        }
        else
        {
            (id, before) = (active.Id, active);
        }

        foreach (var signal in signals)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO incident_signals (incident_id, series, component, kind, at, value, score)
                VALUES (@id, @Series, @Component, @Kind, @at, @Value, @Score)
                ON CONFLICT (incident_id, series) DO NOTHING
                """,
                new { id, signal.Series, signal.Component, signal.Kind, at = signal.At.ToUnixTimeMilliseconds(), signal.Value, signal.Score },
                transaction, cancellationToken: cancellationToken));
        }

        // Root cause: the dependency (or shard, cache, bus) whose series went anomalous first; a journey only when no cause showed.
        var all = (await SignalsAsync(connection, transaction, [id], cancellationToken))[id];
        var cause = all.FirstOrDefault(s => s.IsCause) ?? all[0];
        var severity = IncidentSeverities.Graver(before.Severity, IncidentSeverities.Of(all));
        var lastSignal = Math.Max(before.LastSignalAt, signals.Max(s => s.At).ToUnixTimeMilliseconds());
        var changed = cause.Component != before.Component || severity != before.Severity;
        if (active is not null || changed)
        {
            var owner = ownership.OwnerOf(cause.Component);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE incidents SET component = @component, team = @team, runbook = @runbook, title = @title, severity = @severity,
                    last_signal_at = @lastSignal, version = version + @bump
                WHERE id = @id
                """,
                new { id, component = cause.Component, team = owner.Team.Id, runbook = owner.Runbook, title = Title(cause), severity, lastSignal, bump = changed ? 1 : 0 },
                transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(id, cancellationToken))!;
    }

    public async Task<Incident?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM incidents WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : row.ToIncident((await SignalsAsync(connection, null, [id], cancellationToken))[id]);
    }

    /// <summary>The newest incidents first; <paramref name="activeOnly"/> leaves resolved ones out.</summary>
    public async Task<IReadOnlyList<Incident>> ListAsync(bool activeOnly, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM incidents {(activeOnly ? $"WHERE status <> '{IncidentStatuses.Resolved}'" : "")} ORDER BY id DESC LIMIT @limit",
            new { limit }, cancellationToken: cancellationToken))).ToList();
        var signals = await SignalsAsync(connection, null, rows.Select(r => r.Id).ToList(), cancellationToken);
        return rows.Select(r => r.ToIncident(signals[r.Id])).ToList();
    }

    /// <summary>The oldest active incident, if any (the chaos kill switch asks).</summary>
    public async Task<Incident?> FirstActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.ReadYourWrites, cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM incidents WHERE status <> '{IncidentStatuses.Resolved}' ORDER BY id LIMIT 1", cancellationToken: cancellationToken));
        return row?.ToIncident([]);
    }

    /// <summary>Acknowledges or resolves; false when there is no such incident or it is already resolved.</summary>
    public async Task<bool> TransitionAsync(long id, string status, string by, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (column, byColumn) = status == IncidentStatuses.Acknowledged ? ("acknowledged_at", "acknowledged_by") : ("resolved_at", "resolved_by");
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE incidents SET status = @status, {column} = @now, {byColumn} = @by, version = version + 1 WHERE id = @id AND status <> '{IncidentStatuses.Resolved}' AND status <> @status",
            new { id, status, now, by }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Resolves, as "auto", the active incidents without a signal for <paramref name="quietFor"/>; returns how many.</summary>
    public async Task<int> ResolveQuietAsync(TimeSpan quietFor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE incidents SET status = '{IncidentStatuses.Resolved}', resolved_at = @now, resolved_by = @by, version = version + 1 " +
            $"WHERE status <> '{IncidentStatuses.Resolved}' AND last_signal_at < @quietSince",
            new { now, by = AutoResolver, quietSince = now - (long)quietFor.TotalMilliseconds }, cancellationToken: cancellationToken));
    }

    /// <summary>Who resolved an incident that went quiet.</summary>
    public const string AutoResolver = "auto";

    /// <summary>Claims incidents whose owning team has not heard of their latest version, for <paramref name="claimFor"/> (another instance skips them meanwhile).</summary>
    public async Task<IReadOnlyList<(Incident Incident, int FailedAttempts)>> ClaimUnnotifiedAsync(int limit, TimeSpan claimFor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        var due = (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns}, next_notify_at AS NextNotifyAt, notify_attempts AS NotifyAttempts FROM incidents WHERE notified_version < version AND next_notify_at <= @now ORDER BY id LIMIT @limit",
            new { now, limit }, cancellationToken: cancellationToken))).ToList();
        var claimed = new List<Row>();
        foreach (var row in due)
        {
            if (await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE incidents SET next_notify_at = @until WHERE id = @Id AND next_notify_at = @NextNotifyAt",
                    new { until = now + (long)claimFor.TotalMilliseconds, row.Id, row.NextNotifyAt }, cancellationToken: cancellationToken)) == 1)
            {
                claimed.Add(row);
            }
        }

        var signals = await SignalsAsync(connection, null, claimed.Select(r => r.Id).ToList(), cancellationToken);
        return claimed.Select(r => (r.ToIncident(signals[r.Id]), r.NotifyAttempts)).ToList();
    }

    /// <summary>The team has this version; a later one (still unsent) is sent on the next round.</summary>
    public async Task MarkNotifiedAsync(long id, int version, CancellationToken cancellationToken)
    {
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE incidents SET notified_version = @version, notify_attempts = 0, next_notify_at = 0 WHERE id = @id AND notified_version < @version",
            new { id, version }, cancellationToken: cancellationToken));
    }

    /// <summary>A failed delivery: try again after <paramref name="retryAfter"/>; returns the number of attempts so far.</summary>
    public async Task<int> DeferNotificationAsync(long id, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var at = (time.GetUtcNow() + retryAfter).ToUnixTimeMilliseconds();
        await using var connection = await databases.OpenCatalogAsync(DataIntent.Write, cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "UPDATE incidents SET notify_attempts = notify_attempts + 1, next_notify_at = @at WHERE id = @id RETURNING notify_attempts",
            new { id, at }, cancellationToken: cancellationToken));
    }

    private static string Title(AnomalySignal cause) => cause.Kind == SignalKinds.Anomaly
        ? $"{cause.Component}: {cause.Series} is anomalous ({cause.Value:0.###})"
        : $"{cause.Component}: error budget burning ({cause.Series})";

    /// <summary>The signals of several incidents in one query.</summary>
    private async Task<Dictionary<long, List<AnomalySignal>>> SignalsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var result = ids.ToDictionary(id => id, _ => new List<AnomalySignal>());
        if (ids.Count == 0)
        {
            return result;
        }

        var rows = await connection.QueryAsync<SignalRow>(new CommandDefinition(
            $"SELECT {SignalColumns} FROM incident_signals WHERE incident_id {databases.Dialect.InList("@ids")} ORDER BY incident_id, at, series",
            new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken));
        foreach (var r in rows)
        {
            result[r.IncidentId].Add(new AnomalySignal(r.Series, r.Component, r.Kind, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Value, r.Score));
        }

        return result;
    }

    // Settable properties, not a positional record: nullable columns and SQLite's loose typing map cleanly.
    private sealed class Row
    {
        public long Id { get; set; }
        public string Component { get; set; } = "";
        public string Team { get; set; } = "";
        public string Severity { get; set; } = IncidentSeverities.Sev3;
        public string Status { get; set; } = IncidentStatuses.Open;
        public string Title { get; set; } = "";
        public string? Runbook { get; set; }
        public long OpenedAt { get; set; }
        public long LastSignalAt { get; set; }
        public long? AcknowledgedAt { get; set; }
        public string? AcknowledgedBy { get; set; }
        public long? ResolvedAt { get; set; }
        public string? ResolvedBy { get; set; }
        public int Version { get; set; }
        public int NotifiedVersion { get; set; }
        public long NextNotifyAt { get; set; }
        public int NotifyAttempts { get; set; }

        public Incident ToIncident(IReadOnlyList<AnomalySignal> signals) => new(Id, Component, Team, Severity, Status, Title, Runbook ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds(OpenedAt), DateTimeOffset.FromUnixTimeMilliseconds(LastSignalAt), Time(AcknowledgedAt), AcknowledgedBy,
            Time(ResolvedAt), ResolvedBy, Version, NotifiedVersion, signals);

        private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
    }

    private sealed class SignalRow
    {
        public long IncidentId { get; set; }
        public string Series { get; set; } = "";
        public string Component { get; set; } = "";
        public string Kind { get; set; } = "";
        public long At { get; set; }
        public double Value { get; set; }
        public double Score { get; set; }
    }
}
