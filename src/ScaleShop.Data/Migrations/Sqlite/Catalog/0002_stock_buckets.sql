-- Hot products: stock split over several rows so concurrent checkouts of one product do not queue on one
-- row. A product with bucket rows keeps products.stock as one more (usually empty) pool.
CREATE TABLE IF NOT EXISTS stock_buckets (
    product_id INTEGER NOT NULL REFERENCES products (id),
    bucket     INTEGER NOT NULL,
    stock      INTEGER NOT NULL CHECK (stock >= 0),
    sold       INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    PRIMARY KEY (product_id, bucket)
);

-- Which pool a reservation took its stock from: a bucket, or -1 for products.stock (also used when one
-- order drained several buckets: its stock comes back to products.stock).
ALTER TABLE stock_reservations ADD COLUMN bucket INTEGER NOT NULL DEFAULT -1;
