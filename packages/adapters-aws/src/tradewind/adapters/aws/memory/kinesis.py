"""The in-process twin of Kinesis for the ``memory`` profile: the subset of the Kinesis API that
``KinesisPriceProducer`` and ``KinesisPriceConsumer`` call, with AWS's semantics, so the very
same producer and consumer code runs in the demo. Plus the in-memory checkpoint store.

Semantics kept from AWS: a record goes to the shard whose hash-key range holds
``md5(partition key)``; sequence numbers grow across the stream; a split closes the parent
(which keeps its records) and opens two children; a closed shard read to its end answers
``NextShardIterator: None``; a shard's ``StartingSequenceNumber`` is fixed when it is created (a
recreated stream's shards start above every old record), and ``get_shard_iterator`` refuses a
sequence number from before it with InvalidArgumentException, as AWS and kinesalite refuse one
that "did not come from this stream". ``get_records`` may wait up to ``long_poll`` seconds for a record
to arrive (an in-process stream can wake its reader instead of being polled).
``fail_records`` injects per-record ``ProvisionedThroughputExceededException`` answers.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import itertools
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tradewind.adapters.aws.kinesis.checkpoints import ShardPosition
from tradewind.domain.clock import utcnow

HASH_SPACE = 2**128


class MemoryKinesisError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


@dataclass
class _Shard:
    shard_id: str
    start_hash: int
    end_hash: int  # inclusive
    parent: str | None = None
    closed: bool = False
    first_seq: int = 0  # StartingSequenceNumber: below every record the shard will ever hold
    records: list[dict[str, Any]] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)  # the records' sequence numbers, for bisect
    changed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _Stream:
    shards: dict[str, _Shard] = field(default_factory=dict)


class MemoryKinesis:
    def __init__(
        self, *, streams: Mapping[str, int] | None = None, long_poll: float = 0.0, retention: int = 200_000
    ) -> None:
        self._retention = retention  # records kept per shard (Kinesis keeps 24 h)
        self._streams: dict[str, _Stream] = {}
        self._seq = itertools.count(1)
        self._long_poll = long_poll
        self._fail: Callable[[dict[str, Any]], bool] | None = None
        self.put_calls = 0
        self._hashes: dict[str, int] = {}
        for name, shards in (streams or {}).items():
            self._create(name, shards)

    def client(self) -> Callable[[], Any]:
        """A client factory in the shape of ``session.client("kinesis")`` (an async context)."""

        @asynccontextmanager
        async def open_client() -> AsyncIterator[MemoryKinesis]:
            yield self

        return open_client

    def _hash(self, partition_key: str) -> int:
        """Kinesis's hash key: the MD5 of the partition key as a 128-bit integer (memoised)."""
        key = self._hashes.get(partition_key)
        if key is None:
            key = int(hashlib.md5(partition_key.encode()).hexdigest(), 16)
            if len(self._hashes) < 100_000:
                self._hashes[partition_key] = key
        return key

    def fail_records(self, predicate: Callable[[dict[str, Any]], bool] | None) -> None:
        self._fail = predicate

    def _stream(self, name: str) -> _Stream:
        try:
            return self._streams[name]
        except KeyError:
            raise MemoryKinesisError("ResourceNotFoundException", f"stream {name} not found") from None

    async def create_stream(self, StreamName: str, ShardCount: int = 1) -> None:
        self._create(StreamName, ShardCount)

    def _create(self, name: str, shard_count: int) -> None:
        if name in self._streams:
            raise MemoryKinesisError("ResourceInUseException", f"stream {name} exists")
        stream = _Stream()
        step = HASH_SPACE // shard_count
        for i in range(shard_count):
            end = HASH_SPACE - 1 if i == shard_count - 1 else (i + 1) * step - 1
            sid = f"shardId-{i:012d}"
            stream.shards[sid] = _Shard(sid, i * step, end, first_seq=next(self._seq))
        self._streams[name] = stream

    async def delete_stream(self, StreamName: str, **_: Any) -> None:
        self._streams.pop(StreamName, None)

    async def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        stream = self._stream(StreamName)
        self.put_calls += 1
        results: list[dict[str, Any]] = []
        failed = 0
        arrived = utcnow()
        open_shards = [s for s in stream.shards.values() if not s.closed]
        for record in Records:
            if self._fail is not None and self._fail(record):
                failed += 1
                results.append(
                    {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded (injected)"}
                )
                continue
            key = self._hash(record["PartitionKey"])
            shard = next(s for s in open_shards if s.start_hash <= key <= s.end_hash)
            seq = str(next(self._seq))
            data = record["Data"]
            shard.records.append(
                {
                    "SequenceNumber": seq,
                    "Data": data if isinstance(data, bytes) else bytes(data),
                    "PartitionKey": record["PartitionKey"],
                    "ApproximateArrivalTimestamp": arrived,
                }
            )
            shard.seqs.append(int(seq))
            if len(shard.records) > self._retention * 5 // 4:
                del shard.records[: -self._retention], shard.seqs[: -self._retention]
            results.append({"SequenceNumber": seq, "ShardId": shard.shard_id})
            shard.changed.set()
        return {"FailedRecordCount": failed, "Records": results}

    async def list_shards(self, StreamName: str | None = None, NextToken: str | None = None) -> dict[str, Any]:
        if StreamName is None:
            raise MemoryKinesisError("InvalidArgumentException", "paging is not needed here")
        shards = []
        for s in self._stream(StreamName).shards.values():
            seq_range = {"StartingSequenceNumber": str(s.first_seq)}
            if s.closed:
                seq_range["EndingSequenceNumber"] = s.records[-1]["SequenceNumber"] if s.records else str(s.first_seq)
            raw: dict[str, Any] = {
                "ShardId": s.shard_id,
                "HashKeyRange": {"StartingHashKey": str(s.start_hash), "EndingHashKey": str(s.end_hash)},
                "SequenceNumberRange": seq_range,
            }
            if s.parent:
                raw["ParentShardId"] = s.parent
            shards.append(raw)
        return {"Shards": shards}

    async def split_shard(self, StreamName: str, ShardToSplit: str, NewStartingHashKey: str) -> None:
        stream = self._stream(StreamName)
        parent = stream.shards[ShardToSplit]
        at = int(NewStartingHashKey)
        if parent.closed or not parent.start_hash < at <= parent.end_hash:
            raise MemoryKinesisError("InvalidArgumentException", "cannot split there")
        parent.closed = True
        n = len(stream.shards)
        for i, (lo, hi) in enumerate(((parent.start_hash, at - 1), (at, parent.end_hash))):
            sid = f"shardId-{n + i:012d}"
            stream.shards[sid] = _Shard(sid, lo, hi, parent=parent.shard_id, first_seq=next(self._seq))
        parent.changed.set()

    async def get_shard_iterator(
        self,
        StreamName: str,
        ShardId: str,
        ShardIteratorType: str,
        StartingSequenceNumber: str | None = None,
        Timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        shard = self._stream(StreamName).shards[ShardId]
        if StartingSequenceNumber is not None and not self._of_shard(shard, int(StartingSequenceNumber)):
            raise MemoryKinesisError(
                "InvalidArgumentException",
                f"StartingSequenceNumber {StartingSequenceNumber} on {ShardId} did not come from this stream",
            )
        if ShardIteratorType == "TRIM_HORIZON":
            after = 0
        elif ShardIteratorType == "LATEST":
            after = int(shard.records[-1]["SequenceNumber"]) if shard.records else 0
        elif ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            after = int(StartingSequenceNumber or 0)
        elif ShardIteratorType == "AT_SEQUENCE_NUMBER":
            after = int(StartingSequenceNumber or 0) - 1
        elif ShardIteratorType == "AT_TIMESTAMP":
            assert Timestamp is not None
            before = [r for r in shard.records if r["ApproximateArrivalTimestamp"] < Timestamp]
            after = int(before[-1]["SequenceNumber"]) if before else 0
        else:
            raise MemoryKinesisError("InvalidArgumentException", ShardIteratorType)
        return {"ShardIterator": f"{StreamName}|{ShardId}|{after}"}

    @staticmethod
    def _of_shard(shard: _Shard, seq: int) -> bool:
        """``seq`` is the shard's start, one of its records, or one trimmed from it."""
        if seq == shard.first_seq or (shard.seqs and shard.first_seq < seq < shard.seqs[0]):
            return True
        at = bisect.bisect_left(shard.seqs, seq)
        return at < len(shard.seqs) and shard.seqs[at] == seq

    async def get_records(self, ShardIterator: str, Limit: int = 10_000) -> dict[str, Any]:
        name, shard_id, after_raw = ShardIterator.split("|")
        stream = self._stream(name)
        shard = stream.shards[shard_id]
        after = int(after_raw)
        records = self._after(shard, after, Limit)
        if not records and not shard.closed and self._long_poll > 0:
            shard.changed.clear()
            if not (records := self._after(shard, after, Limit)):
                try:
                    await asyncio.wait_for(shard.changed.wait(), self._long_poll)
                except TimeoutError:
                    pass
                records = self._after(shard, after, Limit)
        last = int(records[-1]["SequenceNumber"]) if records else after
        at_end = not self._after(shard, last, 1)
        behind = 0 if at_end else 1
        next_iterator = None if shard.closed and at_end else f"{name}|{shard_id}|{last}"
        return {"Records": records, "NextShardIterator": next_iterator, "MillisBehindLatest": behind}

    @staticmethod
    def _after(shard: _Shard, after: int, limit: int) -> list[dict[str, Any]]:
        start = bisect.bisect_right(shard.seqs, after)
        return shard.records[start : start + limit]


class MemoryCheckpointStore:
    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], dict[str, ShardPosition]] = {}
        self._started: dict[tuple[str, str], datetime] = {}

    async def load(self, consumer: str, stream: str) -> dict[str, ShardPosition]:
        return dict(self._positions.get((consumer, stream), {}))

    async def save(
        self, consumer: str, stream: str, shard_id: str, sequence_number: int | None, *, finished: bool = False
    ) -> None:
        shards = self._positions.setdefault((consumer, stream), {})
        held = shards.get(shard_id, ShardPosition(None))
        seq = held.sequence_number
        if sequence_number is not None and (seq is None or sequence_number > seq):
            seq = sequence_number
        shards[shard_id] = ShardPosition(seq, held.finished or finished)

    async def first_started(self, consumer: str, stream: str, now: datetime) -> datetime:
        return self._started.setdefault((consumer, stream), now)

    async def forget(self, consumer: str, stream: str, shard_id: str) -> None:
        self._positions.get((consumer, stream), {}).pop(shard_id, None)
