"""Consumer groups on real Kafka through FastStream, committing only after the handler returns.

``AckPolicy.NACK_ON_ERROR``: a handler that returns is acked (offset committed); one that raises
is nacked, which seeks back so the message is delivered again (invariant 5). The default
``ACK_FIRST`` would commit before the effect, and ``ACK``/``REJECT_ON_ERROR`` commit on error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from tradewind.application.ports import MessageHandler

log = logging.getLogger(__name__)


class KafkaSubscriptions:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        retry_delay: float = 0.2,
        client_id: str = "tradewind",
        fetch_max_wait_ms: int = 10,
    ) -> None:
        self.broker = KafkaBroker(bootstrap_servers, client_id=client_id, logger=None)
        self._retry_delay = retry_delay
        # An idle fetch waits at most this long on the broker: order flow is latency-bound.
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._started = False

    def subscribe(self, topics: Sequence[str], group: str, handler: MessageHandler) -> None:
        retry_delay = self._retry_delay

        async def on_message(msg: KafkaMessage) -> None:
            try:
                await handler(msg.body)
            except Exception:
                log.exception("consumer failed; message will be redelivered", extra={"group": group})
                await asyncio.sleep(retry_delay)  # back-off before the seek-back redelivery
                raise

        self.broker.subscriber(
            *topics,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )(on_message)

    async def start(self) -> None:
        await self.broker.start()
        self._started = True

    async def stop(self) -> None:
        if self._started:
            await self.broker.stop()
            self._started = False
