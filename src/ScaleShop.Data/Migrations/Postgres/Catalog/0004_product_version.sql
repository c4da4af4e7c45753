-- Every admin change to a product increments its version; cached product entries carry it, so that a value
-- read before a change can never replace one read after it (see CatalogService).
ALTER TABLE products ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
