-- The W3C trace context of the request that wrote the event, so the trace of a checkout continues into
-- the consumers that apply its events (NATS carries it as the traceparent header).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_parent text;
