using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ScaleShop.PaymentProvider.Payments;

/// <summary>What an operation answered: its HTTP status and body, stored with the Idempotency-Key that asked for it.</summary>
public sealed record Outcome(int Status, string Body);

/// <summary>
/// The provider's book of payments, in a SQLite file. Every state-changing call carries an Idempotency-Key:
/// the first call with a key runs and its answer is stored with the key in the same transaction; a repeat of
/// the same request with that key gets the stored answer without running again (so a client may retry after a
/// timeout without charging twice); the same key with a different request is refused.
/// </summary>
public sealed class PaymentLedger
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public PaymentLedger(IOptions<PaymentProviderOptions> options, TimeProvider time)
    {
        _time = time;
        var directory = Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "payments.db"), Pooling = true }.ToString();
        using var connection = Open();
        connection.Execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS payments (
                id             TEXT    PRIMARY KEY,
                reference      TEXT    NOT NULL,
                amount_cents   INTEGER NOT NULL,
                currency       TEXT    NOT NULL,
                status         TEXT    NOT NULL,
                captured_cents INTEGER NOT NULL DEFAULT 0,
                refunded_cents INTEGER NOT NULL DEFAULT 0,
                created_at     INTEGER NOT NULL,
                updated_at     INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ix_payments_reference ON payments (reference);
            CREATE TABLE IF NOT EXISTS requests (
                idempotency_key TEXT    PRIMARY KEY,
                request_hash    TEXT    NOT NULL,
                status_code     INTEGER NOT NULL,
                response        TEXT    NOT NULL,
                created_at      INTEGER NOT NULL
            );
            """);
    }

    /// <summary>
    /// Authorizes a payment; with <paramref name="capture"/> also captures it in the same step (a "sale", what
    /// real providers call automatic capture: one round trip instead of two).
    /// </summary>
    public Task<Outcome> AuthorizeAsync(string key, long amountCents, string currency, string reference, bool capture, bool decline, CancellationToken cancellationToken) =>
        IdempotentAsync(key, $"authorize|{amountCents}|{currency}|{reference}|{capture}", async (connection, transaction) =>
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var status = decline ? PaymentStatus.Declined : capture ? PaymentStatus.Captured : PaymentStatus.Authorized;
            var payment = new Payment("pay_" + Guid.NewGuid().ToString("N"), reference, amountCents, currency,
                status, status == PaymentStatus.Captured ? amountCents : 0, 0, DateTimeOffset.FromUnixTimeMilliseconds(now));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO payments (id, reference, amount_cents, currency, status, captured_cents, created_at, updated_at)
                VALUES (@Id, @Reference, @AmountCents, @Currency, @Status, @CapturedCents, @now, @now)
                """, new { payment.Id, payment.Reference, payment.AmountCents, payment.Currency, payment.Status, payment.CapturedCents, now }, transaction, cancellationToken: cancellationToken));
            return decline ? Problem(402, "Payment declined", "The card issuer declined the payment.", payment.Id) : new Outcome(201, JsonSerializer.Serialize(payment, Json));
        }, cancellationToken);

    /// <summary>Captures an authorized payment (all of it, or <paramref name="amountCents"/> of it).</summary>
    public Task<Outcome> CaptureAsync(string key, string paymentId, long? amountCents, CancellationToken cancellationToken) =>
        IdempotentAsync(key, $"capture|{paymentId}|{amountCents}", async (connection, transaction) =>
        {
            if (await FindAsync(connection, transaction, paymentId, cancellationToken) is not { } payment)
            {
                return Problem(404, "Not found", $"There is no payment {paymentId}.");
            }

            var amount = amountCents ?? payment.AmountCents;
            if (payment.Status != PaymentStatus.Authorized)
            {
                return Problem(409, "Not capturable", $"Payment {paymentId} is {payment.Status}; only an authorized payment can be captured.");
            }

            if (amount <= 0 || amount > payment.AmountCents)
            {
                return Problem(422, "Invalid amount", $"A capture of {payment.AmountCents} cents at most was authorized.");
            }

            await UpdateAsync(connection, transaction, paymentId, PaymentStatus.Captured, amount, payment.RefundedCents, cancellationToken);
            return new Outcome(200, JsonSerializer.Serialize(payment with { Status = PaymentStatus.Captured, CapturedCents = amount }, Json));
        }, cancellationToken);

    public Task<Outcome> RefundAsync(string key, string paymentId, long? amountCents, CancellationToken cancellationToken) =>
        IdempotentAsync(key, $"refund|{paymentId}|{amountCents}", async (connection, transaction) =>
        {
            if (await FindAsync(connection, transaction, paymentId, cancellationToken) is not { } payment)
            {
                return Problem(404, "Not found", $"There is no payment {paymentId}.");
            }

            var refundable = payment.CapturedCents - payment.RefundedCents;
            var amount = amountCents ?? refundable;
            if (payment.Status is not (PaymentStatus.Captured or PaymentStatus.PartiallyRefunded) || amount <= 0 || amount > refundable)
            {
                return Problem(409, "Not refundable", $"Payment {paymentId} is {payment.Status} with {refundable} cents refundable.");
            }

            var refunded = payment.RefundedCents + amount;
            var status = refunded == payment.CapturedCents ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded;
            await UpdateAsync(connection, transaction, paymentId, status, payment.CapturedCents, refunded, cancellationToken);
            return new Outcome(200, JsonSerializer.Serialize(payment with { Status = status, RefundedCents = refunded }, Json));
        }, cancellationToken);

    /// <summary>Releases an authorization that will not be captured (the order was cancelled before payment).</summary>
    public Task<Outcome> VoidAsync(string key, string paymentId, CancellationToken cancellationToken) =>
        IdempotentAsync(key, $"void|{paymentId}", async (connection, transaction) =>
        {
            if (await FindAsync(connection, transaction, paymentId, cancellationToken) is not { } payment)
            {
                return Problem(404, "Not found", $"There is no payment {paymentId}.");
            }

            if (payment.Status != PaymentStatus.Authorized)
            {
                return Problem(409, "Not voidable", $"Payment {paymentId} is {payment.Status}; only an authorized payment can be voided.");
            }

            await UpdateAsync(connection, transaction, paymentId, PaymentStatus.Voided, 0, 0, cancellationToken);
            return new Outcome(200, JsonSerializer.Serialize(payment with { Status = PaymentStatus.Voided }, Json));
        }, cancellationToken);

    public async Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        return await FindAsync(connection, null, paymentId, cancellationToken);
    }

    public async Task<IReadOnlyList<Payment>> ByReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var rows = await connection.QueryAsync<PaymentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM payments WHERE reference = @reference ORDER BY created_at", new { reference }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToPayment()).ToList();
    }

    /// <summary>
    /// Payments holding money (captured more than refunded) created in [<paramref name="from"/>, <paramref name="until"/>),
    /// oldest first, after a (created_at, id) cursor: what a merchant's sweep compares with its own orders.
    /// </summary>
    public async Task<IReadOnlyList<Payment>> OutstandingCapturesAsync(DateTimeOffset from, DateTimeOffset until, long afterCreatedAt, string afterId, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var rows = await connection.QueryAsync<PaymentRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM payments
            WHERE captured_cents > refunded_cents AND created_at >= @from AND created_at < @until
              AND (created_at > @afterCreatedAt OR (created_at = @afterCreatedAt AND id > @afterId))
            ORDER BY created_at, id LIMIT @limit
            """,
            new { from = from.ToUnixTimeMilliseconds(), until = until.ToUnixTimeMilliseconds(), afterCreatedAt, afterId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToPayment()).ToList();
    }

    public async Task<Ledger> LedgerAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        return await connection.QuerySingleAsync<Ledger>(new CommandDefinition(
            """
            SELECT count(*) AS Payments,
                   coalesce(sum(CASE WHEN status <> 'declined' THEN amount_cents ELSE 0 END), 0) AS AuthorizedCents,
                   coalesce(sum(captured_cents), 0) AS CapturedCents,
                   coalesce(sum(refunded_cents), 0) AS RefundedCents
            FROM payments
            """, cancellationToken: cancellationToken));
    }

    private const string Columns =
        "id AS Id, reference AS Reference, amount_cents AS AmountCents, currency AS Currency, status AS Status, captured_cents AS CapturedCents, refunded_cents AS RefundedCents, created_at AS CreatedAt";

    private async Task<Outcome> IdempotentAsync(string key, string request, Func<SqliteConnection, SqliteTransaction, Task<Outcome>> operation, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(request)));
        // One writer at a time in this process (SQLite has one per file anyway): a key's first call and its
        // repeats are ordered, so two concurrent calls with one key cannot both run the operation.
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = Open();
            await using var transaction = connection.BeginTransaction(deferred: false);
            var previous = await connection.QuerySingleOrDefaultAsync<StoredRequest>(new CommandDefinition(
                "SELECT request_hash AS RequestHash, status_code AS StatusCode, response AS Response FROM requests WHERE idempotency_key = @key",
                new { key }, transaction, cancellationToken: cancellationToken));
            if (previous is not null)
            {
                await transaction.RollbackAsync(cancellationToken);
                return previous.RequestHash == hash
                    ? new Outcome((int)previous.StatusCode, previous.Response)
                    : Problem(422, "Idempotency-Key reused", "This Idempotency-Key was used for a different request.");
            }

            var outcome = await operation(connection, transaction);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO requests (idempotency_key, request_hash, status_code, response, created_at) VALUES (@key, @hash, @status, @body, @now)",
                new { key, hash, status = (long)outcome.Status, body = outcome.Body, now = _time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return outcome;
        }
        finally
        {
            _writer.Release();
        }
    }

    private static async Task<Payment?> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, string paymentId, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM payments WHERE id = @paymentId", new { paymentId }, transaction, cancellationToken: cancellationToken)))?.ToPayment();

    private Task UpdateAsync(SqliteConnection connection, SqliteTransaction transaction, string paymentId, string status, long captured, long refunded, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE payments SET status = @status, captured_cents = @captured, refunded_cents = @refunded, updated_at = @now WHERE id = @paymentId",
            new { paymentId, status, captured, refunded, now = _time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));

    private static Outcome Problem(int status, string title, string detail, string? paymentId = null) =>
        new(status, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["type"] = $"https://httpstatuses.io/{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["paymentId"] = paymentId,
        }, Json));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private sealed class StoredRequest
    {
        public string RequestHash { get; init; } = "";

        public long StatusCode { get; init; }

        public string Response { get; init; } = "";
    }

    private sealed class PaymentRow
    {
        public string Id { get; init; } = "";

        public string Reference { get; init; } = "";

        public long AmountCents { get; init; }

        public string Currency { get; init; } = "";

        public string Status { get; init; } = "";

        public long CapturedCents { get; init; }

        public long RefundedCents { get; init; }

        public long CreatedAt { get; init; }

        public Payment ToPayment() => new(Id, Reference, AmountCents, Currency, Status, CapturedCents, RefundedCents, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
