-- Fences for moving a logical shard between physical databases (see ShardMover). A logical shard with no
-- fence row is written normally. 'copying': writes go ahead and the user (or order) they touched is logged
-- in shard_changes, for the mover to re-copy. 'frozen' (the short pause before the map flips), 'moved'
-- (the shard lives elsewhere now) and 'incoming' (the target, before the flip): writes are refused with
-- RAISE(ABORT, 'SCALESHOP_SHARD_FENCED'), which the storefront answers by learning the new map and writing
-- there. SQLite has one writer per file, so a committed fence is seen by every later write.
-- The logical shard of a row is bits 10-21 of the sharded id it carries: (id >> 10) & 4095.
-- Generated: one trigger per table and operation (SQLite triggers name one event each).
CREATE TABLE IF NOT EXISTS shard_fences (
    logical_shard INTEGER PRIMARY KEY,
    state         TEXT    NOT NULL CHECK (state IN ('copying', 'frozen', 'moved', 'incoming'))
);

CREATE TABLE IF NOT EXISTS shard_changes (
    seq           INTEGER PRIMARY KEY,
    logical_shard INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('user', 'order')),
    change_key    INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_shard_changes_shard ON shard_changes (logical_shard, seq);

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_insert AFTER INSERT ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.id >> 10) & 4095), 'user', NEW.id);
END;

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_update AFTER UPDATE ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.id >> 10) & 4095), 'user', NEW.id);
END;

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_delete AFTER DELETE ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.id >> 10) & 4095), 'user', OLD.id);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_insert AFTER INSERT ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_update AFTER UPDATE ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_delete AFTER DELETE ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.user_id >> 10) & 4095), 'user', OLD.user_id);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_insert AFTER INSERT ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_update AFTER UPDATE ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_delete AFTER DELETE ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.user_id >> 10) & 4095), 'user', OLD.user_id);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_insert AFTER INSERT ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_update AFTER UPDATE ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_delete AFTER DELETE ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.user_id >> 10) & 4095), 'user', OLD.user_id);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_insert AFTER INSERT ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.order_id >> 10) & 4095), 'order', NEW.order_id);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_update AFTER UPDATE ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.order_id >> 10) & 4095), 'order', NEW.order_id);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_delete AFTER DELETE ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.order_id >> 10) & 4095), 'order', OLD.order_id);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_insert AFTER INSERT ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_update AFTER UPDATE ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((NEW.user_id >> 10) & 4095), 'user', NEW.user_id);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_delete AFTER DELETE ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, kind, change_key) VALUES (((OLD.user_id >> 10) & 4095), 'user', OLD.user_id);
END;
