-- Retention (invariant 12: every table that grows has a bound). What the pruner deletes, and the
-- indexes that let it find the old rows without scanning:
--   outbox: rows sent more than a day ago (Kafka has them; the relay never looks back);
--   venue_reports: applied/ignored reports older than the redelivery horizon (flagged ones stay);
--   order_event_log: stream entries older than the resume horizon.
ALTER TABLE order_event_log ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX order_event_log_created_idx ON order_event_log (created_at);
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX venue_reports_settled_idx ON venue_reports (received_at) WHERE outcome <> 'flagged';
