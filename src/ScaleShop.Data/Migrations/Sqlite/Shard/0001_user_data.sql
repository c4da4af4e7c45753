-- A physical user shard: every table is keyed by a user id (or an id that carries the user's shard), so
-- the rows of one logical shard can be copied to another database as a unit.
CREATE TABLE IF NOT EXISTS accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Email -> user id, on the shard the email hashes to (the same shard as the account at registration).
CREATE TABLE IF NOT EXISTS email_index (
    normalized_email TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS cart_items (
    user_id    INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, product_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS orders (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    total_cents     INTEGER NOT NULL CHECK (total_cents >= 0),
    currency        TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_orders_user ON orders (user_id, id DESC);

CREATE TABLE IF NOT EXISTS order_items (
    order_id         INTEGER NOT NULL,
    product_id       INTEGER NOT NULL,
    product_name     TEXT    NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;

-- One row per (user, Idempotency-Key): the arbiter of an order's fate. Whoever moves it out of
-- 'in_progress' (the request that writes the order, or the sweeper that gives the stock back) decides.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id         INTEGER NOT NULL,
    idempotency_key TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    claim_token     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('in_progress', 'completed')),
    order_id        INTEGER,
    response_status INTEGER,
    locked_until    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
) WITHOUT ROWID;

-- Completed keys are purged after the retention window; this index makes the purge a range delete.
CREATE INDEX IF NOT EXISTS ix_idempotency_keys_created ON idempotency_keys (created_at);
