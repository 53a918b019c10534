"""``KinesisPriceConsumer``: reads every shard of the market-data stream, one reader per shard.

Promises (the ``PriceStreamConsumer`` port):
- Order within a shard (so per symbol: the partition key is the symbol): a reader hands one
  batch at a time to the handler and fetches the next only after it returned.
- A shard's checkpoint (``CheckpointStore``) is saved after the handler returned; a handler
  that raises gets the same batch again after ``retry_delay``. A restart resumes
  ``AFTER_SEQUENCE_NUMBER`` of the checkpoint: nothing is read twice or skipped.
- A consumer with no checkpoint on a shard starts at the instant it first started on the stream
  (``AT_TIMESTAMP``, persisted), or at ``TRIM_HORIZON`` if asked; a child shard born from a
  split or merge starts at its own ``TRIM_HORIZON``, once every parent is read to its end.
- The shard list is refreshed every ``shard_refresh`` seconds: new shards are picked up.
- A record that is not a price update can never be read: it is counted in ``undecodable``,
  logged and skipped.
- A checkpoint that does not belong to the stream as it now exists is counted in
  ``stale_checkpoints``, logged, forgotten, and the shard is read from ``TRIM_HORIZON``: the
  stream was recreated (the checkpoint lies before the shard's first sequence number, or the
  stream answers InvalidArgumentException: "did not come from this stream"), the sequence number
  is past a closed shard's end, or the shard is gone from the listing. Without this a consumer
  waits forever for a sequence number the new stream has not reached (issue 12: after
  ``scripts/services down``/``up`` no price reached Redis and every order was ``price_missing``).
  TRIM_HORIZON, not LATEST: nothing of the stream as it now exists was read by this consumer, so
  its whole retained content is unread; LATEST would silently drop what arrived since the stream
  was recreated (gaps in the candles), while the catch-up is bounded by the retention and is
  idempotent (candles skip sequence numbers they include; the last price is written in order),
  and the risk check refuses stale prices until it is done.

moto (5.x) differs from AWS on resharding: it keeps routing records to the closed parent
(its hash-range lookup ignores ``is_open``), renumbers the parent's records on a split and never
ends a closed shard with ``NextShardIterator: null``. Relying on that null alone (not on the
shard's closed flag) keeps this consumer correct on both: on moto the parent is simply read on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tradewind.adapters.aws.kinesis.checkpoints import CheckpointStore, ShardPosition
from tradewind.adapters.aws.kinesis.codec import decode
from tradewind.application.ports import PriceBatch, PriceBatchHandler
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate

log = logging.getLogger(__name__)

KinesisClientFactory = Callable[[], AbstractAsyncContextManager[Any]]


@dataclass
class _Shard:
    shard_id: str
    parents: tuple[str, ...]
    closed: bool
    first_seq: int | None = None  # StartingSequenceNumber: every record of the shard is at or after it
    last_seq: int | None = None  # EndingSequenceNumber of a closed shard


class KinesisPriceConsumer:
    def __init__(
        self,
        client_factory: KinesisClientFactory,
        stream: str,
        checkpoints: CheckpointStore,
        consumer: str,
        *,
        poll_interval: float = 0.2,
        shard_refresh: float = 5.0,
        limit: int = 1000,
        initial_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST",
        retry_delay: float = 0.5,
    ) -> None:
        self._client_factory = client_factory
        self.stream = stream
        self._checkpoints = checkpoints
        self.consumer = consumer
        self._poll_interval = poll_interval
        self._shard_refresh = shard_refresh
        self._limit = limit
        self._initial = initial_position
        self._retry_delay = retry_delay
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._handler: PriceBatchHandler | None = None
        self._shards: dict[str, _Shard] = {}
        self._positions: dict[str, ShardPosition] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._positioned: set[str] = set()
        self._stale: set[str] = set()  # shards whose checkpoint was forgotten: read from TRIM_HORIZON
        self._arrived_after: dict[str, datetime] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._refresh_now = asyncio.Event()
        self._stopping = asyncio.Event()
        self._started_at = utcnow()
        self._listed = False
        self.records = 0
        self.undecodable = 0
        self.handler_failures = 0
        self.stale_checkpoints = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, handler: PriceBatchHandler) -> None:
        self._handler = handler
        self._stopping.clear()
        self._stack = AsyncExitStack()
        self._client = await self._stack.enter_async_context(self._client_factory())
        self._positions = await self._checkpoints.load(self.consumer, self.stream)
        self._started_at = await self._checkpoints.first_started(self.consumer, self.stream, utcnow())
        await self._refresh()
        self._supervisor = asyncio.create_task(self._supervise(), name=f"kinesis-shards:{self.stream}")

    async def ready(self) -> bool:
        if not self._listed:
            return False
        return all(s in self._positioned for s, shard in self._shards.items() if not shard.closed)

    async def stop(self, timeout: float = 30.0) -> None:
        """Let each reader finish the batch in hand (handled and checkpointed), then end."""
        self._stopping.set()
        readers = list(self._readers.values())
        if readers:
            await asyncio.wait(readers, timeout=timeout)
        tasks = [t for t in (self._supervisor, *self._readers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._supervisor, self._readers = None, {}
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    def positions(self) -> dict[str, ShardPosition]:
        return dict(self._positions)

    def known_shards(self) -> set[str]:
        return set(self._shards)

    def reading(self) -> set[str]:
        """The shards with a reader running now."""
        return set(self._readers)

    # -- shards ------------------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._refresh_now.wait(), self._shard_refresh)
            except TimeoutError:
                pass
            self._refresh_now.clear()
            try:
                await self._refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listing shards failed", extra={"stream": self.stream})

    async def _list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        response = await self._client.list_shards(StreamName=self.stream)
        shards += response["Shards"]
        while token := response.get("NextToken"):
            response = await self._client.list_shards(NextToken=token)
            shards += response["Shards"]
        return shards

    async def _refresh(self) -> None:
        listed = await self._list_shards()
        for raw in listed:
            parents = tuple(p for p in (raw.get("ParentShardId"), raw.get("AdjacentParentShardId")) if p)
            seq_range = raw.get("SequenceNumberRange", {})
            closed = "EndingSequenceNumber" in seq_range
            first, last = seq_range.get("StartingSequenceNumber"), seq_range.get("EndingSequenceNumber")
            self._shards[raw["ShardId"]] = _Shard(
                raw["ShardId"],
                parents,
                closed,
                None if first is None else int(first),
                None if last is None else int(last),
            )
        known = {raw["ShardId"] for raw in listed}
        for shard_id in [s for s in self._shards if s not in known]:
            del self._shards[shard_id]  # gone: past retention, or the stream was recreated with fewer shards
        for shard_id, position in list(self._positions.items()):
            if shard_id not in known and not position.finished:
                await self._forget(shard_id, position, "its shard is not in the stream")
        for shard in self._shards.values():
            if shard.shard_id not in known or shard.shard_id in self._readers:
                continue
            if self._positions.get(shard.shard_id, ShardPosition(None)).finished:
                continue
            if all(self._finished(p, known) for p in shard.parents):
                self._readers[shard.shard_id] = asyncio.create_task(
                    self._read(shard), name=f"kinesis-shard:{shard.shard_id}"
                )
        self._listed = True

    def _finished(self, shard_id: str, known: set[str]) -> bool:
        """A parent is done when read to its end, or gone from the listing (past retention)."""
        return shard_id not in known or self._positions.get(shard_id, ShardPosition(None)).finished

    async def _forget(self, shard_id: str, position: ShardPosition, why: str) -> None:
        """Drop a checkpoint that does not belong to the stream as it now exists (see the module)."""
        self.stale_checkpoints += 1
        log.warning(
            "stale Kinesis checkpoint forgotten; the shard is read from TRIM_HORIZON",
            extra={
                "stream": self.stream,
                "consumer": self.consumer,
                "shard": shard_id,
                "sequence": None if position.sequence_number is None else str(position.sequence_number),
                "reason": why,
                "stale_checkpoints": self.stale_checkpoints,
            },
        )
        await self._checkpoints.forget(self.consumer, self.stream, shard_id)
        self._positions.pop(shard_id, None)
        self._stale.add(shard_id)

    def _foreign(self, shard: _Shard, sequence: int) -> str | None:
        """Why ``sequence`` cannot be a record of ``shard`` as listed now, or None."""
        if shard.first_seq is not None and sequence < shard.first_seq:
            return "it lies before the shard's first sequence number (the stream was recreated)"
        if shard.last_seq is not None and sequence > shard.last_seq:
            return "it lies past the closed shard's last sequence number"
        return None

    async def _iterator(self, shard: _Shard) -> str:
        self._arrived_after.pop(shard.shard_id, None)
        position = self._positions.get(shard.shard_id)
        args: dict[str, Any] = {"StreamName": self.stream, "ShardId": shard.shard_id}
        if position is not None and position.sequence_number is not None:
            why = self._foreign(shard, position.sequence_number)
            if why is None:
                try:
                    iterator: str = (
                        await self._client.get_shard_iterator(
                            **args,
                            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                            StartingSequenceNumber=str(position.sequence_number),
                        )
                    )["ShardIterator"]
                    return iterator
                except Exception as exc:
                    error = getattr(exc, "response", {}).get("Error", {})
                    if error.get("Code") != "InvalidArgumentException":
                        raise
                    why = f"the stream refused it: {error.get('Message', '')}"
            await self._forget(shard.shard_id, position, why)
        if shard.shard_id in self._stale:
            args |= {"ShardIteratorType": "TRIM_HORIZON"}
        elif shard.parents or self._initial == "TRIM_HORIZON":
            args |= {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            args |= {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": self._started_at}
            # botocore sends the timestamp in whole seconds: drop what arrived before the instant
            self._arrived_after[shard.shard_id] = self._started_at
        started: str = (await self._client.get_shard_iterator(**args))["ShardIterator"]
        return started

    # -- reading -----------------------------------------------------------------------------

    async def _read(self, shard: _Shard) -> None:
        try:
            iterator: str | None = await self._iterator(shard)
            self._positioned.add(shard.shard_id)
            while iterator is not None:
                if self._stopping.is_set():
                    return
                try:
                    response = await self._client.get_records(ShardIterator=iterator, Limit=self._limit)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                    log.warning("get_records failed", extra={"shard": shard.shard_id, "error": code or repr(exc)})
                    await self._pause(self._retry_delay)  # backoff (throttling, expired iterator)
                    iterator = await self._iterator(shard)
                    continue
                records = response.get("Records", [])
                if records:
                    await self._deliver(shard.shard_id, records)
                iterator = response.get("NextShardIterator")  # None: a closed shard read to its end
                if iterator is None:
                    break
                if len(records) < self._limit:
                    await self._pause(self._poll_interval)  # poll interval (AWS allows 5 reads/s/shard)
            last = self._positions.get(shard.shard_id, ShardPosition(None)).sequence_number
            await self._checkpoints.save(self.consumer, self.stream, shard.shard_id, last, finished=True)
            self._positions[shard.shard_id] = ShardPosition(last, finished=True)
            log.info("shard read to its end", extra={"shard": shard.shard_id})
            self._readers.pop(shard.shard_id, None)
            self._refresh_now.set()  # its children may start now
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("shard reader crashed; restarting from the checkpoint", extra={"shard": shard.shard_id})
            self._readers.pop(shard.shard_id, None)  # the next periodic refresh starts it again
            self._positioned.discard(shard.shard_id)

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when ``stop`` is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        batch: list[tuple[int, PriceUpdate]] = []
        since = self._arrived_after.get(shard_id)
        for record in records:
            if since is not None and record["ApproximateArrivalTimestamp"] < since:
                continue
            try:
                batch.append((int(record["SequenceNumber"]), decode(record["Data"])))
            except InvalidPriceUpdate as exc:
                self.undecodable += 1
                log.error(
                    "undecodable market-data record skipped",
                    extra={"shard": shard_id, "sequence": record["SequenceNumber"], "error": exc.detail},
                )
        last = int(records[-1]["SequenceNumber"])
        assert self._handler is not None
        while batch:
            try:
                await self._handler(PriceBatch(shard_id, batch))
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                self.handler_failures += 1
                log.exception("market-data handler failed; the batch comes again", extra={"shard": shard_id})
                if self._stopping.is_set():
                    return  # not checkpointed: the next start gets the batch again
                await self._pause(self._retry_delay)  # redelivery backoff
        await self._checkpoints.save(self.consumer, self.stream, shard_id, last)
        self._positions[shard_id] = ShardPosition(last)
        self._arrived_after.pop(shard_id, None)  # positioned by sequence number from now on
        self.records += len(batch)
