-- Events the in-process bus could not deliver to one consumer because that consumer's dependency was down
-- (e.g. the recommendations service): kept per consumer and redelivered later, so the outbox and every other
-- consumer go on meanwhile (what a JetStream durable consumer gives each consumer in NATS mode).
CREATE TABLE IF NOT EXISTS deferred_deliveries (
    consumer    TEXT    NOT NULL,
    event_id    INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    payload     TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    deferred_at INTEGER NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
