-- The OMS ledger (issue 11): orders are the system of record for their own state, written only
-- by the command side and the ledger consumer, under the account row lock. Risk reads these
-- tables; nothing on the write side reads a projection any more.

-- account_seq: the last number given to one of the account's order events (gap-free, under lock)
ALTER TABLE accounts ADD COLUMN account_seq bigint NOT NULL DEFAULT 0;

-- orders: the ledger's current state of each order (the projection keeps its own copy)
ALTER TABLE orders
    ADD COLUMN status              text NOT NULL DEFAULT 'pending',
    ADD COLUMN filled_qty          integer NOT NULL DEFAULT 0,
    ADD COLUMN filled_avg_price    numeric(24, 8),
    ADD COLUMN reason              text,
    ADD COLUMN broker_order_id     text,
    ADD COLUMN updated_at          timestamptz,
    ADD COLUMN order_seq           integer NOT NULL DEFAULT 0,
    ADD COLUMN pending_qty         integer,
    ADD COLUMN pending_limit_price numeric(20, 4),
    ADD COLUMN placed_qty          integer;
UPDATE orders o SET status = v.status, filled_qty = v.filled_qty, filled_avg_price = v.filled_avg_price,
       reason = v.reason, broker_order_id = v.broker_order_id, updated_at = v.updated_at,
       placed_qty = o.qty, qty = v.qty, limit_price = v.limit_price
FROM order_views v WHERE v.id = o.id;
UPDATE orders SET updated_at = created_at WHERE updated_at IS NULL;
UPDATE orders SET placed_qty = qty WHERE placed_qty IS NULL;
ALTER TABLE orders ALTER COLUMN updated_at SET NOT NULL, ALTER COLUMN placed_qty SET NOT NULL;

-- Positions and cash as the ledger applied the fills (what risk reads), per account and symbol.
CREATE TABLE ledger_positions (
    account_id  uuid NOT NULL REFERENCES accounts (id),
    symbol      text NOT NULL,
    qty         bigint NOT NULL,
    cash        numeric(28, 8) NOT NULL,  -- net cash of the fills: sells add, buys take away
    PRIMARY KEY (account_id, symbol)
);
INSERT INTO ledger_positions (account_id, symbol, qty, cash)
SELECT account_id, symbol, qty, -spent FROM fill_totals;
DROP TABLE fill_totals;

-- Every venue report the ledger consumed, by its id: the idempotency record, and where a report
-- that could not be applied (unknown order, impossible move) is kept, flagged, for operators.
CREATE TABLE venue_reports (
    report_id    uuid PRIMARY KEY,
    account_id   uuid NOT NULL,
    order_id     uuid NOT NULL,
    kind         text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'ignored', 'flagged')),
    account_seq  bigint,
    detail       text,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venue_reports_flagged_idx ON venue_reports (received_at) WHERE outcome = 'flagged';

-- A request goes to two topics (order.commands and order.events) with the same event id.
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_event_id_key UNIQUE (topic, event_id);

-- The read model: its own progress per account (the last account_seq applied) replaces the
-- per-event dedupe table, and the stream log is keyed by account_seq (the SSE id), so commit
-- order no longer decides what a resuming stream sees.
ALTER TABLE order_views ADD COLUMN order_seq integer NOT NULL DEFAULT 0;
CREATE TABLE projection_progress (
    consumer    text NOT NULL,
    account_id  uuid NOT NULL,
    last_seq    bigint NOT NULL,
    gaps        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer, account_id)
);
DROP TABLE processed_events;
DROP TABLE order_event_log;
CREATE TABLE order_event_log (
    account_id  uuid NOT NULL,
    seq         bigint NOT NULL,
    part        smallint NOT NULL,
    kind        text NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (account_id, seq, part)
);
