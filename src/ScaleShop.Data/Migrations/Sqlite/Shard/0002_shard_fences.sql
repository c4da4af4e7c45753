-- Fences for moving a logical shard between physical databases (see ShardMover). A logical shard with no
-- fence row is written normally. 'copying': writes go ahead and the key of each row they touched is logged
-- in shard_changes (id1, id2: integer key columns; txt: a text one), for the mover to re-copy. 'frozen' (the
-- short pause before the map flips), 'moved' (the shard lives elsewhere now) and 'incoming' (the target,
-- before the flip): writes are refused with RAISE(ABORT, 'SCALESHOP_SHARD_FENCED'), which the storefront
-- answers by learning the new map and writing there. SQLite has one writer per file, so a committed fence is
-- seen by every later write. The logical shard of a row is bits 10-21 of the sharded id it carries:
-- (id >> 10) & 4095. An update that changed a primary key would log only the new key; the application never
-- changes keys, and if it did, the mover's verification would find the old row and abandon the move.
-- Generated: one trigger per table and operation (SQLite triggers name one event each).
CREATE TABLE IF NOT EXISTS shard_fences (
    logical_shard INTEGER PRIMARY KEY,
    state         TEXT    NOT NULL CHECK (state IN ('copying', 'frozen', 'moved', 'incoming'))
);

CREATE TABLE IF NOT EXISTS shard_changes (
    seq           INTEGER PRIMARY KEY,
    logical_shard INTEGER NOT NULL,
    table_name    TEXT    NOT NULL,
    id1           INTEGER,
    id2           INTEGER,
    txt           TEXT
);

CREATE INDEX IF NOT EXISTS ix_shard_changes_shard ON shard_changes (logical_shard, seq);

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_insert AFTER INSERT ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.id >> 10) & 4095), 'accounts', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_update AFTER UPDATE ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.id >> 10) & 4095), 'accounts', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS accounts_shard_fence_delete AFTER DELETE ON accounts
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.id >> 10) & 4095), 'accounts', OLD.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_insert AFTER INSERT ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'email_index', NULL, NULL, NEW.normalized_email);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_update AFTER UPDATE ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'email_index', NULL, NULL, NEW.normalized_email);
END;

CREATE TRIGGER IF NOT EXISTS email_index_shard_fence_delete AFTER DELETE ON email_index
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.user_id >> 10) & 4095), 'email_index', NULL, NULL, OLD.normalized_email);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_insert AFTER INSERT ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'cart_items', NEW.user_id, NEW.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_update AFTER UPDATE ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'cart_items', NEW.user_id, NEW.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS cart_items_shard_fence_delete AFTER DELETE ON cart_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.user_id >> 10) & 4095), 'cart_items', OLD.user_id, OLD.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_insert AFTER INSERT ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'orders', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_update AFTER UPDATE ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'orders', NEW.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS orders_shard_fence_delete AFTER DELETE ON orders
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.user_id >> 10) & 4095), 'orders', OLD.id, NULL, NULL);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_insert AFTER INSERT ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.order_id >> 10) & 4095), 'order_items', NEW.order_id, NEW.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_update AFTER UPDATE ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.order_id >> 10) & 4095), 'order_items', NEW.order_id, NEW.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS order_items_shard_fence_delete AFTER DELETE ON order_items
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.order_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.order_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.order_id >> 10) & 4095), 'order_items', OLD.order_id, OLD.product_id, NULL);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_insert AFTER INSERT ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'idempotency_keys', NEW.user_id, NULL, NEW.idempotency_key);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_update AFTER UPDATE ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((NEW.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((NEW.user_id >> 10) & 4095), 'idempotency_keys', NEW.user_id, NULL, NEW.idempotency_key);
END;

CREATE TRIGGER IF NOT EXISTS idempotency_keys_shard_fence_delete AFTER DELETE ON idempotency_keys
WHEN EXISTS (SELECT 1 FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095))
BEGIN
    SELECT RAISE(ABORT, 'SCALESHOP_SHARD_FENCED') FROM shard_fences WHERE logical_shard = ((OLD.user_id >> 10) & 4095) AND state <> 'copying';
    INSERT INTO shard_changes (logical_shard, table_name, id1, id2, txt) VALUES (((OLD.user_id >> 10) & 4095), 'idempotency_keys', OLD.user_id, NULL, OLD.idempotency_key);
END;
