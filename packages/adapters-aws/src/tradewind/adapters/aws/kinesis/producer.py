"""``KinesisPriceProducer``: buffered ``put_records`` with partition key = symbol.

Promises: records go out in batches of up to 500 (the API's limit), one batch in flight at a
time, in the order they were put. When a batch partly fails (throttling, an internal error per
record) only the failed records are sent again, with exponential backoff, up to
``max_attempts``; then they are counted in ``dropped`` and logged (market data tolerates loss,
like ``market.price`` with acks=1). Retrying only the failed ones can put a symbol's retried
record behind a newer one of the same symbol: consumers order by event time, not arrival.
``put`` waits while ``max_buffer`` records are pending (backpressure on the feed).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from tradewind.adapters.aws.kinesis.codec import encode
from tradewind.domain.marketdata import PriceUpdate

log = logging.getLogger(__name__)

KinesisClientFactory = Callable[[], AbstractAsyncContextManager[Any]]
MAX_BATCH = 500


class KinesisPriceProducer:
    def __init__(
        self,
        client_factory: KinesisClientFactory,
        stream: str,
        *,
        batch_size: int = MAX_BATCH,
        linger: float = 0.02,
        max_attempts: int = 6,
        backoff: float = 0.05,
        max_buffer: int = 20_000,
    ) -> None:
        self._client_factory = client_factory
        self._stream = stream
        self._batch_size = min(batch_size, MAX_BATCH)
        self._linger = linger
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_buffer = max_buffer
        self._buffer: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._room.set()
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0
        self.retried = 0
        self.dropped = 0
        self.batches = 0

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stack = AsyncExitStack()
        self._client = await self._stack.enter_async_context(self._client_factory())
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"kinesis-producer:{self._stream}")

    async def put(self, update: PriceUpdate) -> None:
        while len(self._buffer) >= self._max_buffer:
            self._room.clear()
            await self._room.wait()
        self._buffer.append({"Data": encode(update), "PartitionKey": update.symbol})
        self._idle.clear()
        self._wake.set()

    async def flush(self) -> None:
        """Wait until everything put so far was sent (or dropped after retries)."""
        self._wake.set()
        while self._buffer or not self._idle.is_set():
            await self._idle.wait()

    async def stop(self) -> None:
        if self._task is None:
            return
        if not self._task.done():
            await asyncio.wait_for(self.flush(), 30)
        self._stopping = True
        self._wake.set()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def _run(self) -> None:
        while not self._stopping:
            if not self._buffer:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            if len(self._buffer) < self._batch_size and self._linger > 0:
                await asyncio.sleep(self._linger)  # linger: let a batch fill (the producer's own timer)
            batch = [self._buffer.popleft() for _ in range(min(self._batch_size, len(self._buffer)))]
            self._room.set()
            try:
                await self._send(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.dropped += len(batch)
                log.exception("kinesis batch dropped", extra={"stream": self._stream, "records": len(batch)})

    async def _send(self, records: list[dict[str, Any]]) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._client.put_records(StreamName=self._stream, Records=records)
            except Exception as exc:
                if attempt == self._max_attempts:
                    raise
                log.warning("put_records failed; retrying the batch", extra={"error": repr(exc), "attempt": attempt})
            else:
                self.batches += 1
                results = response["Records"]
                failed = [rec for rec, res in zip(records, results, strict=True) if res.get("ErrorCode")]
                self.sent += len(records) - len(failed)
                if not failed:
                    return
                codes = {res["ErrorCode"] for res in results if res.get("ErrorCode")}
                if attempt == self._max_attempts:
                    self.dropped += len(failed)
                    log.error(
                        "kinesis records dropped after retries", extra={"count": len(failed), "codes": sorted(codes)}
                    )
                    return
                log.warning("retrying failed records only", extra={"count": len(failed), "codes": sorted(codes)})
                self.retried += len(failed)
                records = failed
            await asyncio.sleep(self._backoff * 2 ** (attempt - 1))  # retry backoff, not synchronisation
