-- Fences for moving a logical shard between physical databases (see ShardMover). A logical shard with no
-- fence row is written normally. 'copying': writes go ahead and the user (or order) they touched is logged
-- in shard_changes, for the mover to re-copy. 'frozen' (the short pause before the map flips), 'moved'
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
    kind          text   NOT NULL CHECK (kind IN ('user', 'order')),
    change_key    bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_shard_changes_shard ON shard_changes (logical_shard, seq);

-- AFTER ROW, not BEFORE: by the time the fence is read the row is written and the transaction holds an id,
-- so the mover's wait for transactions in flight (WaitForWritesInFlightAsync) cannot miss it. The fence is
-- read with a fresh snapshot (a volatile function in READ COMMITTED), never the statement's older one.
CREATE OR REPLACE FUNCTION scaleshop_shard_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed     record;
    change_kind text := 'user';
    key         bigint;
    shard       bigint;
    fence       text;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    CASE TG_TABLE_NAME
        WHEN 'accounts' THEN key := changed.id;
        WHEN 'order_items' THEN change_kind := 'order'; key := changed.order_id;
        ELSE key := changed.user_id; -- email_index, cart_items, orders, idempotency_keys
    END CASE;
    shard := (key >> 10) & 4095;
    SELECT state INTO fence FROM shard_fences WHERE logical_shard = shard;
    IF fence IS NULL THEN
        RETURN NULL;
    ELSIF fence = 'copying' THEN
        INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (shard, change_kind, key);
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
