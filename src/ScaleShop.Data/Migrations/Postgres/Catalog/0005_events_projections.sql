-- What each event consumer has applied, written in the transaction that applies it: redelivery is harmless.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text    NOT NULL,
    event_id     bigint NOT NULL,
    processed_at bigint NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX IF NOT EXISTS ix_processed_events_at ON processed_events (processed_at);

-- Projections of confirmed orders (eventually consistent; lag is a metric).
CREATE TABLE IF NOT EXISTS product_popularity (
    product_id  bigint PRIMARY KEY,
    category_id bigint NOT NULL,
    units       bigint NOT NULL,
    orders      bigint NOT NULL,
    updated_at  bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_product_popularity_category ON product_popularity (category_id, units DESC, product_id);
CREATE INDEX IF NOT EXISTS ix_product_popularity_units ON product_popularity (units DESC, product_id);

-- "Customers also bought": how many confirmed orders held both products.
CREATE TABLE IF NOT EXISTS co_purchases (
    product_id       bigint NOT NULL,
    other_product_id bigint NOT NULL,
    orders           bigint NOT NULL,
    PRIMARY KEY (product_id, other_product_id)
);

CREATE INDEX IF NOT EXISTS ix_co_purchases_rank ON co_purchases (product_id, orders DESC, other_product_id);

-- A cancelled order's stock goes back once: the row and the stock increment commit together.
CREATE TABLE IF NOT EXISTS stock_returns (
    order_id    bigint PRIMARY KEY,
    returned_at bigint NOT NULL
);

-- Poison events parked by the in-process bus (NATS mode parks them in a JetStream stream instead).
CREATE TABLE IF NOT EXISTS dead_letters (
    id          bigserial PRIMARY KEY,
    consumer    text    NOT NULL,
    event_id    bigint NOT NULL,
    event_type  text    NOT NULL,
    user_id     bigint NOT NULL,
    payload     text    NOT NULL,
    occurred_at bigint NOT NULL,
    error       text    NOT NULL,
    attempts    bigint NOT NULL,
    parked_at   bigint NOT NULL
);
