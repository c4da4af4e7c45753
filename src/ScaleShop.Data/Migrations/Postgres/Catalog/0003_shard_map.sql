-- The shard map lives with the catalog, versioned: every instance polls the newest version, and a move
-- publishes a new one. Rows are never updated, so the history of layouts is kept.
CREATE TABLE IF NOT EXISTS shard_map_versions (
    version    bigint PRIMARY KEY,
    document   text   NOT NULL,
    reason     text   NOT NULL,
    created_at bigint NOT NULL
);

-- One row per logical shard being moved: a lock against two moves of the same shard, and what instances
-- read to pause (not fail) writes to a shard while it is frozen.
CREATE TABLE IF NOT EXISTS shard_moves (
    logical_shard bigint PRIMARY KEY,
    source        text   NOT NULL,
    target        text   NOT NULL,
    state         text   NOT NULL CHECK (state IN ('copying', 'frozen')),
    started_at    bigint NOT NULL,
    updated_at    bigint NOT NULL
);
