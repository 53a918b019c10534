-- Kinesis sequence numbers may have up to 129 digits (the API's pattern is 0|([1-9]\d{0,128}));
-- kinesalite's have 56, more than the numeric(48, 0) of 0004 holds. numeric(130, 0) keeps them
-- exact and ordered (checkpoints only move forward by comparing them).
ALTER TABLE stream_checkpoints ALTER COLUMN sequence_number TYPE numeric(130, 0);
ALTER TABLE candle_progress ALTER COLUMN sequence_number TYPE numeric(130, 0);
