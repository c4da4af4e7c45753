-- The catalog's own outbox: a product's change and its event (product.changed) commit together, as an
-- order's do on its shard. No fence: the catalog is never moved by resharding.
CREATE TABLE IF NOT EXISTS outbox (
    id          bigint PRIMARY KEY,
    user_id     bigint NOT NULL,
    event_type  text   NOT NULL,
    payload     text   NOT NULL,
    created_at  bigint NOT NULL
);

-- Search becomes a read model of its own, built from product.changed events (and filled by seeding), instead
-- of a column the products table keeps up in every write transaction: admin writes stop paying for the GIN
-- index, and the model can move to a search engine of its own without touching the catalog.
DROP TRIGGER IF EXISTS products_search_vector ON products;
DROP FUNCTION IF EXISTS products_search_vector();
DROP INDEX IF EXISTS ix_products_search;
ALTER TABLE products DROP COLUMN IF EXISTS search_vector;

-- version is the product's: an older change arriving late never overwrites a newer one.
CREATE TABLE IF NOT EXISTS search_documents (
    product_id    bigint PRIMARY KEY,
    version       bigint NOT NULL,
    name          text   NOT NULL,
    description   text   NOT NULL,
    search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B')) STORED
);
CREATE INDEX IF NOT EXISTS ix_search_documents ON search_documents USING gin (search_vector);

INSERT INTO search_documents (product_id, version, name, description)
SELECT id, version, name, description FROM products
ON CONFLICT (product_id) DO NOTHING;
