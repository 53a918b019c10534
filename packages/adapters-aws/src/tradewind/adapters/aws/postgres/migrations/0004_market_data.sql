-- Market data (issue 5): Kinesis consumer checkpoints and OHLCV candles.

-- Where each consumer of each stream has read to, per shard. A checkpoint only moves forward;
-- ``finished`` marks a closed shard read to its end (its children may start).
CREATE TABLE stream_checkpoints (
    consumer         text NOT NULL,
    stream           text NOT NULL,
    shard_id         text NOT NULL,
    sequence_number  numeric(48, 0),
    finished         boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream, shard_id)
);

-- When a consumer first started on a stream: a new consumer reads from this instant
-- (AT_TIMESTAMP), so a restart before its first checkpoint skips nothing.
CREATE TABLE stream_consumers (
    consumer    text NOT NULL,
    stream      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream)
);

-- Candles by event time, open (still changing) and closed. first_ms/last_ms are the event times
-- that set open/close, kept so a restarted aggregator continues an open candle exactly.
CREATE TABLE candles (
    symbol    text NOT NULL,
    interval  text NOT NULL CHECK (interval IN ('1m', '5m', '1h')),
    start_at  timestamptz NOT NULL,
    open      numeric NOT NULL,
    high      numeric NOT NULL,
    low       numeric NOT NULL,
    close     numeric NOT NULL,
    volume    bigint NOT NULL,
    updates   integer NOT NULL,
    first_ms  bigint NOT NULL,
    last_ms   bigint NOT NULL,
    closed    boolean NOT NULL,
    PRIMARY KEY (symbol, interval, start_at)
);
CREATE INDEX candles_open_idx ON candles (symbol) WHERE NOT closed;

-- The stream position (per source stream and shard) that the candles above include; written in
-- the same transaction as the candles, so a replayed record is recognised and skipped.
CREATE TABLE candle_progress (
    source           text NOT NULL,
    shard_id         text NOT NULL,
    sequence_number  numeric(48, 0) NOT NULL,
    PRIMARY KEY (source, shard_id)
);
