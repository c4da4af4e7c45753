-- A physical user shard (PostgreSQL). Integer columns are bigint so one row type maps both providers;
-- is_admin is 0/1 for the same reason.
CREATE TABLE IF NOT EXISTS accounts (
    id            bigint PRIMARY KEY,
    email         text   NOT NULL,
    display_name  text   NOT NULL,
    password_hash text   NOT NULL,
    is_admin      bigint NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS email_index (
    normalized_email text   PRIMARY KEY,
    user_id          bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS cart_items (
    user_id    bigint NOT NULL,
    product_id bigint NOT NULL,
    quantity   bigint NOT NULL CHECK (quantity > 0),
    updated_at bigint NOT NULL,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE IF NOT EXISTS orders (
    id              bigint PRIMARY KEY,
    user_id         bigint NOT NULL,
    status          text   NOT NULL,
    total_cents     bigint NOT NULL CHECK (total_cents >= 0),
    currency        text   NOT NULL,
    idempotency_key text   NOT NULL,
    created_at      bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_orders_user ON orders (user_id, id DESC);

CREATE TABLE IF NOT EXISTS order_items (
    order_id         bigint NOT NULL,
    product_id       bigint NOT NULL,
    product_name     text   NOT NULL,
    quantity         bigint NOT NULL CHECK (quantity > 0),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id         bigint NOT NULL,
    idempotency_key text   NOT NULL,
    request_hash    text   NOT NULL,
    claim_token     text   NOT NULL,
    status          text   NOT NULL CHECK (status IN ('in_progress', 'completed')),
    order_id        bigint,
    response_status bigint,
    locked_until    bigint NOT NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

CREATE INDEX IF NOT EXISTS ix_idempotency_keys_created ON idempotency_keys (created_at);
