-- Catalog database (PostgreSQL): the same tables as on SQLite, with integer columns as bigint so one row
-- type maps both providers.
CREATE TABLE IF NOT EXISTS categories (
    id   bigint PRIMARY KEY,
    name text NOT NULL UNIQUE
);

-- fillfactor leaves room on each page so that stock updates (every order) are HOT updates: no index
-- entry is written for them. For the same reason no index covers stock or sold_count, and the full-text
-- vector is maintained by a trigger that fires only when the text changes.
CREATE TABLE IF NOT EXISTS products (
    id            bigint PRIMARY KEY,
    sku           text   NOT NULL UNIQUE,
    name          text   NOT NULL,
    description   text   NOT NULL,
    price_cents   bigint NOT NULL CHECK (price_cents >= 0),
    currency      text   NOT NULL,
    category_id   bigint NOT NULL REFERENCES categories (id),
    stock         bigint NOT NULL CHECK (stock >= 0),
    sold_count    bigint NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    updated_at    bigint NOT NULL,
    search_vector tsvector
) WITH (fillfactor = 80);

CREATE INDEX IF NOT EXISTS ix_products_category ON products (category_id, id);
CREATE INDEX IF NOT EXISTS ix_products_search ON products USING gin (search_vector);

CREATE OR REPLACE FUNCTION products_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := setweight(to_tsvector('english', NEW.name), 'A') || setweight(to_tsvector('english', NEW.description), 'B');
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS products_search_vector ON products;
CREATE TRIGGER products_search_vector BEFORE INSERT OR UPDATE OF name, description ON products
    FOR EACH ROW EXECUTE FUNCTION products_search_vector();

CREATE TABLE IF NOT EXISTS stock_reservations (
    claim_token     text   NOT NULL,
    product_id      bigint NOT NULL,
    quantity        bigint NOT NULL CHECK (quantity > 0),
    user_id         bigint NOT NULL,
    idempotency_key text   NOT NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (claim_token, product_id)
);

CREATE INDEX IF NOT EXISTS ix_stock_reservations_created ON stock_reservations (created_at);
