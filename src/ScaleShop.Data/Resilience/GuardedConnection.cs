using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ScaleShop.Data.Resilience;

/// <summary>
/// A connection whose commands run through their database's circuit breaker. The units of work are Dapper calls
/// on the connection the router hands out, in a hundred places; the connection is the one point every statement
/// passes, so that is where a hung server's statement timeouts reach the breaker (opening alone never fails
/// against a hung server: the pool hands out a connection at once).
/// <para>
/// A transaction's commit is a statement like any other (a hung or lost server fails it at the command timeout), so
/// transactions are wrapped too (<see cref="GuardedTransaction"/>); their rollback is not counted, because it follows
/// a failure that already was. Everything else is the driver's, and a command reports the inner connection as its
/// own, because Dapper decides by that type whether the driver takes a list as one array parameter (Npgsql,
/// <c>= ANY(@ids)</c>). Provider-specific calls use <see cref="Unwrap"/>. Rows are read outside the breaker: a
/// statement's failure surfaces where its reader is opened, and the pages read here arrive with their first rows.
/// </para>
/// </summary>
internal sealed class GuardedConnection : DbConnection
{
    private readonly DatabaseGuard _guard;

    public GuardedConnection(DbConnection inner, DatabaseGuard guard)
    {
        Inner = inner;
        _guard = guard;
        inner.StateChange += (_, change) => OnStateChange(change);
        GC.SuppressFinalize(this); // nothing of its own to free: no finalizer work for one per unit of work
    }

    public DbConnection Inner { get; }

    /// <summary>The driver's own connection, for what only it can do (SQLite's deferred transactions, COPY).</summary>
    public static DbConnection Unwrap(DbConnection connection) => connection is GuardedConnection guarded ? guarded.Inner : connection;

    [AllowNull]
    public override string ConnectionString
    {
        get => Inner.ConnectionString;
        set => Inner.ConnectionString = value;
    }

    public override int ConnectionTimeout => Inner.ConnectionTimeout;

    public override string Database => Inner.Database;

    public override string DataSource => Inner.DataSource;

    public override string ServerVersion => Inner.ServerVersion;

    public override ConnectionState State => Inner.State;

    public override void ChangeDatabase(string databaseName) => Inner.ChangeDatabase(databaseName);

    public override void Open() => Inner.Open();

    public override Task OpenAsync(CancellationToken cancellationToken) => Inner.OpenAsync(cancellationToken);

    public override void Close() => Inner.Close();

    public override Task CloseAsync() => Inner.CloseAsync();

    /// <summary>
    /// The driver's transaction, begun on the inner connection (SQLite's deferred or immediate kinds), with its commit
    /// run through this connection's breaker; <paramref name="transaction"/> as it is when the connection is not guarded.
    /// </summary>
    public static DbTransaction Guard(DbConnection connection, DbTransaction transaction) =>
        connection is GuardedConnection guarded ? new GuardedTransaction(transaction, guarded, guarded._guard) : transaction;

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
        new GuardedTransaction(Inner.BeginTransaction(isolationLevel), this, _guard);

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        new GuardedTransaction(await Inner.BeginTransactionAsync(isolationLevel, cancellationToken), this, _guard);

    protected override DbCommand CreateDbCommand() => new GuardedCommand(Inner.CreateCommand(), _guard);

    public override ValueTask DisposeAsync() => Inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A command whose executions are the breaker's executions (see <see cref="GuardedConnection"/>).</summary>
internal sealed class GuardedCommand : DbCommand
{
    private readonly DbCommand _inner;
    private readonly DatabaseGuard _guard;

    public GuardedCommand(DbCommand inner, DatabaseGuard guard)
    {
        _inner = inner;
        _guard = guard;
        GC.SuppressFinalize(this); // as the connection's
    }

    [AllowNull]
    public override string CommandText
    {
        get => _inner.CommandText;
        set => _inner.CommandText = value;
    }

    public override int CommandTimeout
    {
        get => _inner.CommandTimeout;
        set => _inner.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => _inner.CommandType;
        set => _inner.CommandType = value;
    }

    public override bool DesignTimeVisible
    {
        get => _inner.DesignTimeVisible;
        set => _inner.DesignTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => _inner.UpdatedRowSource;
        set => _inner.UpdatedRowSource = value;
    }

    protected override DbConnection? DbConnection
    {
        get => _inner.Connection;
        set => _inner.Connection = value is null ? null : GuardedConnection.Unwrap(value);
    }

    protected override DbParameterCollection DbParameterCollection => _inner.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => _inner.Transaction;
        set => _inner.Transaction = GuardedTransaction.Unwrap(value);
    }

    public override void Cancel() => _inner.Cancel();

    protected override DbParameter CreateDbParameter() => _inner.CreateParameter();

    public override void Prepare() => _inner.Prepare();

    public override Task PrepareAsync(CancellationToken cancellationToken = default) => _inner.PrepareAsync(cancellationToken);

    public override int ExecuteNonQuery() => _guard.Run(static c => c.ExecuteNonQuery(), _inner);

    public override object? ExecuteScalar() => _guard.Run(static c => c.ExecuteScalar(), _inner);

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) =>
        _guard.Run(static s => s.Command.ExecuteReader(s.Behavior), (Command: _inner, Behavior: behavior));

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) =>
        _guard.RunAsync(static (c, ct) => new ValueTask<int>(c.ExecuteNonQueryAsync(ct)), _inner, cancellationToken).AsTask();

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) =>
        _guard.RunAsync(static (c, ct) => new ValueTask<object?>(c.ExecuteScalarAsync(ct)), _inner, cancellationToken).AsTask();

    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        _guard.RunAsync(static (s, ct) => new ValueTask<DbDataReader>(s.Command.ExecuteReaderAsync(s.Behavior, ct)), (Command: _inner, Behavior: behavior), cancellationToken).AsTask();

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// A transaction whose commit is one of the breaker's executions (see <see cref="GuardedConnection"/>): a commit the
/// server does not answer counts against the database as a statement would. Savepoints and rollback are the driver's.
/// </summary>
internal sealed class GuardedTransaction : DbTransaction
{
    private readonly GuardedConnection _connection;
    private readonly DatabaseGuard _guard;

    public GuardedTransaction(DbTransaction inner, GuardedConnection connection, DatabaseGuard guard)
    {
        Inner = inner;
        _connection = connection;
        _guard = guard;
        GC.SuppressFinalize(this); // as the connection's
    }

    public DbTransaction Inner { get; }

    /// <summary>The driver's transaction, which the driver's commands accept: a command never sees the wrapper.</summary>
    public static DbTransaction? Unwrap(DbTransaction? transaction) => transaction is GuardedTransaction guarded ? guarded.Inner : transaction;

    public override IsolationLevel IsolationLevel => Inner.IsolationLevel;

    protected override DbConnection DbConnection => _connection;

    public override bool SupportsSavepoints => Inner.SupportsSavepoints;

    public override void Commit() => _guard.Run(static t => { t.Commit(); return true; }, Inner);

    public override Task CommitAsync(CancellationToken cancellationToken = default) =>
        _guard.RunAsync(static async (t, ct) => { await t.CommitAsync(ct); return true; }, Inner, cancellationToken).AsTask();

    public override void Rollback() => Inner.Rollback();

    public override Task RollbackAsync(CancellationToken cancellationToken = default) => Inner.RollbackAsync(cancellationToken);

    public override void Save(string savepointName) => Inner.Save(savepointName);

    public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.SaveAsync(savepointName, cancellationToken);

    public override void Rollback(string savepointName) => Inner.Rollback(savepointName);

    public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.RollbackAsync(savepointName, cancellationToken);

    public override void Release(string savepointName) => Inner.Release(savepointName);

    public override Task ReleaseAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.ReleaseAsync(savepointName, cancellationToken);

    public override ValueTask DisposeAsync() => Inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
