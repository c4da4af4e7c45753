-- Every admin change to a product increments its version; cached product entries carry it, so that a value
-- read before a change can never replace one read after it (see CatalogService). DbUp's journal runs this once.
ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
