-- Dead letters (issue 14): every record of the dead_letter topic, kept for operators
-- (`tradewind dlq list | show | replay`). Written only by the worker's consumer of dead_letter
-- (idempotent on the record's place in that topic) and by replay, which marks a letter replayed
-- before it republishes it, so a letter is never replayed twice. Pruned by age
-- (retention_dead_letters_s); the audit archive keeps every dead letter beyond that.
CREATE TABLE dead_letters (
    id                bigserial PRIMARY KEY,
    dlq_partition     integer NOT NULL,
    dlq_offset        bigint NOT NULL,
    source_topic      text NOT NULL,
    source_partition  integer NOT NULL,
    source_offset     bigint NOT NULL,
    source_key        text,
    consumer          text NOT NULL,
    payload           bytea NOT NULL,
    headers           jsonb NOT NULL,
    error             text NOT NULL,
    attempts          integer NOT NULL,
    failed_at         timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    replayed_at       timestamptz,
    UNIQUE (dlq_partition, dlq_offset)
);
CREATE INDEX dead_letters_pending_idx ON dead_letters (id) WHERE replayed_at IS NULL;
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at);
