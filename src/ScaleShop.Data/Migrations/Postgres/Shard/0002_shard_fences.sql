-- Fences for moving a logical shard between physical databases (see ShardMover). A logical shard with no
-- fence row is written normally. 'copying': writes go ahead and the key of each row they touched is logged
-- in shard_changes (id1, id2: integer key columns; txt: a text one), for the mover to re-copy. 'frozen' (the short pause before the map flips), 'moved'
-- (the shard lives elsewhere now) and 'incoming' (the target, before the flip): writes are refused with
-- SQLSTATE SSF01, which the storefront answers by learning the new map and writing there.
-- The logical shard of a row is bits 10-21 of the sharded id it carries: (id >> 10) & 4095.
CREATE TABLE IF NOT EXISTS shard_fences (
    logical_shard bigint PRIMARY KEY,
    state         text   NOT NULL CHECK (state IN ('copying', 'frozen', 'moved', 'incoming'))
);

CREATE TABLE IF NOT EXISTS shard_changes (
    seq           bigserial PRIMARY KEY,
    logical_shard bigint NOT NULL,
    table_name    text   NOT NULL,
    id1           bigint,
    id2           bigint,
    txt           text
);

CREATE INDEX IF NOT EXISTS ix_shard_changes_shard ON shard_changes (logical_shard, seq);

-- AFTER ROW, not BEFORE: by the time the fence is read the row is written and the transaction holds an id,
-- so the mover's wait for transactions in flight (WaitForWritesInFlightAsync) cannot miss it. The fence is
-- read with a fresh snapshot (a volatile function in READ COMMITTED), never the statement's older one.
-- An update that changed a primary key would log only the new key; the application never changes keys, and
-- if it did, the mover's verification would find the old row on the target and abandon the move.
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

CREATE OR REPLACE TRIGGER accounts_shard_fence AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
CREATE OR REPLACE TRIGGER email_index_shard_fence AFTER INSERT OR UPDATE OR DELETE ON email_index FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
CREATE OR REPLACE TRIGGER cart_items_shard_fence AFTER INSERT OR UPDATE OR DELETE ON cart_items FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
CREATE OR REPLACE TRIGGER orders_shard_fence AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
CREATE OR REPLACE TRIGGER order_items_shard_fence AFTER INSERT OR UPDATE OR DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
CREATE OR REPLACE TRIGGER idempotency_keys_shard_fence AFTER INSERT OR UPDATE OR DELETE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION scaleshop_shard_fence();
