-- Incidents opened by anomaly detection and SLO burn alerts, shared by every storefront instance: one active
-- incident per root-cause component (the partial unique index), so instances that see the same fault join
-- one incident instead of paging a team once each. version counts what a notification must report;
-- notified_version what the owning team has been told.
CREATE TABLE IF NOT EXISTS incidents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    component        TEXT    NOT NULL,
    team             TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    runbook          TEXT,
    opened_at        INTEGER NOT NULL,
    last_signal_at   INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT,
    resolved_at      INTEGER,
    resolved_by      TEXT,
    version          INTEGER NOT NULL,
    notified_version INTEGER NOT NULL DEFAULT 0,
    notify_attempts  INTEGER NOT NULL DEFAULT 0,
    next_notify_at   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_one_active_per_component ON incidents (component) WHERE status <> 'resolved';
CREATE INDEX IF NOT EXISTS incidents_to_notify ON incidents (next_notify_at) WHERE notified_version < version;

-- The anomalous series of an incident, each once, in the order they went anomalous: the first dependency's is
-- the root-cause hint.
CREATE TABLE IF NOT EXISTS incident_signals (
    incident_id INTEGER NOT NULL,
    series      TEXT    NOT NULL,
    component   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    value       REAL    NOT NULL,
    score       REAL    NOT NULL,
    PRIMARY KEY (incident_id, series)
);
