-- Catalog database: categories, products with their stock, full-text index, in-flight stock reservations.
CREATE TABLE IF NOT EXISTS categories (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    currency    TEXT    NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories (id),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    sold_count  INTEGER NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    updated_at  INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_products_category ON products (category_id, id);
CREATE INDEX IF NOT EXISTS ix_products_popularity ON products (sold_count DESC, id);

-- External-content FTS5 index: the text lives once, in products; bm25 ranks matches.
CREATE VIRTUAL TABLE IF NOT EXISTS products_search USING fts5 (
    name, description,
    content = 'products', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS products_search_after_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_search (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TRIGGER IF NOT EXISTS products_search_after_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_search (products_search, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;

-- Only text changes touch the index: stock and price updates (every order) stay cheap.
CREATE TRIGGER IF NOT EXISTS products_search_after_update AFTER UPDATE OF name, description ON products BEGIN
    INSERT INTO products_search (products_search, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO products_search (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

-- Stock taken for an order that is not yet written to its user's shard. A row lives only while the
-- order is in flight: it is deleted when the order is written (confirmed) or when the stock is given back
-- (released). Rows left behind by a crash are swept by the reservation sweeper.
CREATE TABLE IF NOT EXISTS stock_reservations (
    claim_token     TEXT    NOT NULL,
    product_id      INTEGER NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    user_id         INTEGER NOT NULL,
    idempotency_key TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (claim_token, product_id)
);

CREATE INDEX IF NOT EXISTS ix_stock_reservations_created ON stock_reservations (created_at);

-- A match in the name counts ten times one in the description.
INSERT INTO products_search (products_search, rank) VALUES ('rank', 'bm25(10.0, 1.0)');
