-- The order read model, separate from the write table, and the projection's bookkeeping.
CREATE TABLE order_views (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL,
    client_order_id   text NOT NULL,
    symbol            text NOT NULL,
    side              text NOT NULL,
    qty               integer NOT NULL,
    order_type        text NOT NULL,
    time_in_force     text NOT NULL,
    limit_price       numeric(20, 4),
    stop_price        numeric(20, 4),
    status            text NOT NULL,
    filled_qty        integer NOT NULL DEFAULT 0,
    filled_avg_price  numeric(24, 8),
    reason            text,
    broker_order_id   text,
    correlation_id    uuid NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX order_views_account_idx ON order_views (account_id, created_at DESC, id DESC);

-- One row per (consumer, event) applied: the idempotency record, written in the same transaction
-- as the effect. ``entries`` are the stream log rows the event produced (returned on redelivery).
CREATE TABLE processed_events (
    consumer    text NOT NULL,
    event_id    uuid NOT NULL,
    entries     bigint[] NOT NULL DEFAULT '{}',
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- What each trader's stream showed, in order: SSE ids, and the source for Last-Event-ID resume.
CREATE TABLE order_event_log (
    seq         bigserial PRIMARY KEY,
    account_id  uuid NOT NULL,
    kind        text NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX order_event_log_account_idx ON order_event_log (account_id, seq);
