-- Events the in-process bus could not deliver to one consumer because that consumer's dependency was down
-- (e.g. the recommendations service): kept per consumer and redelivered later, so the outbox and every other
-- consumer go on meanwhile (what a JetStream durable consumer gives each consumer in NATS mode).
CREATE TABLE IF NOT EXISTS deferred_deliveries (
    consumer    text    NOT NULL,
    event_id    bigint  NOT NULL,
    event_type  text    NOT NULL,
    user_id     bigint  NOT NULL,
    payload     text    NOT NULL,
    occurred_at bigint  NOT NULL,
    deferred_at bigint  NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
