-- Orders are paid after they are written: pending_payment -> confirmed | cancelled (see OrderSettlement).
-- settle_after: when the settlement worker may next try a pending order (the request that wrote it owns it
-- until then). compensated: a cancelled order's stock return and payment undo are done and verified
-- (reconciliation looks for cancelled orders where it is 0).
ALTER TABLE orders ADD COLUMN payment_id TEXT;
ALTER TABLE orders ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN settle_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN settle_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN status_reason TEXT;
ALTER TABLE orders ADD COLUMN compensated INTEGER NOT NULL DEFAULT 1;

-- Partial indexes: the workers' queues stay as small as the work, not as large as the order history.
CREATE INDEX IF NOT EXISTS ix_orders_pending ON orders (settle_after) WHERE status = 'pending_payment';
CREATE INDEX IF NOT EXISTS ix_orders_uncompensated ON orders (updated_at) WHERE status = 'cancelled' AND compensated = 0;

-- Transactional outbox: an order's state change and its event commit together; the dispatcher publishes
-- and deletes. id is a sharded id of the user's logical shard, so rows move with the shard like any other.
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS outbox_shard_fence_insert AFTER INSERT ON outbox
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'outbox', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS outbox_shard_fence_update AFTER UPDATE ON outbox
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'outbox', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS outbox_shard_fence_delete AFTER DELETE ON outbox
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.user_id >> 10) & 4095), 'outbox', OLD.id, NULL, NULL);
END;
