-- The catalog's own outbox: a product's change and its event (product.changed) commit together, as an
-- order's do on its shard. No fence: the catalog is never moved by resharding.
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Search becomes a read model of its own, built from product.changed events (and filled by seeding), instead
-- of an index the products table keeps up in every write transaction: admin writes stop paying for the index,
-- and the model can move to a search engine of its own without touching the catalog.
DROP TRIGGER IF EXISTS products_search_after_insert;
DROP TRIGGER IF EXISTS products_search_after_delete;
DROP TRIGGER IF EXISTS products_search_after_update;
DROP TABLE IF EXISTS products_search;

-- rowid = product id; version is the product's: an older change arriving late never overwrites a newer one.
CREATE VIRTUAL TABLE IF NOT EXISTS search_documents USING fts5 (
    name, description, version UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- bm25 with the name weighted ten times the description, as before.
INSERT INTO search_documents (search_documents, rank) VALUES ('rank', 'bm25(10.0, 1.0, 0.0)');

INSERT INTO search_documents (rowid, name, description, version)
SELECT id, name, description, version FROM products
WHERE NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.rowid = products.id);
