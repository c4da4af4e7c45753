-- Orders are paid after they are written: pending_payment -> confirmed | cancelled (see OrderSettlement).
-- settle_after: when the settlement worker may next try a pending order (the request that wrote it owns it
-- until then). compensated: a cancelled order's stock return and payment undo are done and verified
-- (reconciliation looks for cancelled orders where it is false).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_id text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS updated_at bigint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS settle_after bigint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS settle_attempts bigint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS status_reason text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS compensated bigint NOT NULL DEFAULT 1;

-- Partial indexes: the workers' queues stay as small as the work, not as large as the order history.
CREATE INDEX IF NOT EXISTS ix_orders_pending ON orders (settle_after) WHERE status = 'pending_payment';
CREATE INDEX IF NOT EXISTS ix_orders_uncompensated ON orders (updated_at) WHERE status = 'cancelled' AND compensated = 0;

-- Transactional outbox: an order's state change and its event commit together; the dispatcher publishes
-- and deletes. id is a sharded id of the user's logical shard, so rows move with the shard like any other.
CREATE TABLE IF NOT EXISTS outbox (
    id          bigint PRIMARY KEY,
    user_id     bigint NOT NULL,
    event_type  text   NOT NULL,
    payload     text   NOT NULL,
    created_at  bigint NOT NULL
);

-- The fence function learns the outbox's key; the trigger is the same as every user table's.
CREATE OR REPLACE FUNCTION scaleshop_shard_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
    shard   bigint;
    fence   text;
    key1    bigint;
    key2    bigint;
    key_txt text;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    CASE TG_TABLE_NAME
        WHEN 'accounts' THEN key1 := changed.id; shard := changed.id;
        WHEN 'email_index' THEN key_txt := changed.normalized_email; shard := changed.user_id;
        WHEN 'cart_items' THEN key1 := changed.user_id; key2 := changed.product_id; shard := changed.user_id;
        WHEN 'orders' THEN key1 := changed.id; shard := changed.user_id;
        WHEN 'order_items' THEN key1 := changed.order_id; key2 := changed.product_id; shard := changed.order_id;
        WHEN 'idempotency_keys' THEN key1 := changed.user_id; key_txt := changed.idempotency_key; shard := changed.user_id;
        WHEN 'outbox' THEN key1 := changed.id; shard := changed.user_id;
    END CASE;
    shard := (shard >> 10) & 4095;
    SELECT state INTO fence FROM shard_fences WHERE logical_shard = shard;
    IF fence IS NULL THEN
        RETURN NULL;
    ELSIF fence = 'copying' THEN
        INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (shard, TG_TABLE_NAME, key1, key2, key_txt);
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'SCALESHOP_SHARD_FENCED: logical shard % is % on this database', shard, fence USING ERRCODE = 'SSF01';
END
$$;

CREATE OR REPLACE TRIGGER outbox_shard_fence AFTER INSERT OR UPDATE OR DELETE ON outbox FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
