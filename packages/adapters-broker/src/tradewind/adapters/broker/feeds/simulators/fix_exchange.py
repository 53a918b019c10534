"""A FIX-style exchange over TCP sending ``35=W`` snapshots (``feeds/fix_tcp.py`` has the format)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tradewind.adapters.broker.feeds.fix_tcp import FixFramer, fix_message, fix_time, parse_fix
from tradewind.domain.marketdata import PriceUpdate


def snapshot_message(update: PriceUpdate, seq: int, sender: str = "SIMFIX") -> bytes:
    fields: Sequence[tuple[int, object]] = [
        (35, "W"), (49, sender), (56, "TRADEWIND"), (34, seq), (52, fix_time(update.timestamp_ms)),
        (55, update.symbol), (268, 3),
        (269, 0), (270, update.bid), (271, 500),
        (269, 1), (270, update.ask), (271, 500),
        (269, 2), (270, update.last), (271, update.volume),
    ]  # fmt: skip
    return fix_message(fields)


class _Session:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.symbols: frozenset[str] = frozenset()
        self.seq = 0


class FixExchange:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self.logons = 0

    @property
    def connections(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_connections()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer)
        framer = FixFramer()
        try:
            while data := await reader.read(65_536):
                for complete, frame in framer.feed(data):
                    if not complete:
                        continue
                    fields = parse_fix(frame)
                    if fields[2][1] == "A":
                        self.logons += 1
                        self._sessions.add(session)
                        session.seq += 1
                        writer.write(fix_message([(35, "A"), (49, "SIMFIX"), (34, session.seq), (98, 0), (108, 30)]))
                    elif fields[2][1] == "V":
                        session.symbols = frozenset(v for t, v in fields if t == 55)
        except (ConnectionError, ValueError):
            pass
        finally:
            self._sessions.discard(session)
            writer.close()

    def publish(self, update: PriceUpdate) -> None:
        for session in list(self._sessions):
            if not session.symbols or update.symbol in session.symbols:
                session.seq += 1
                session.writer.write(snapshot_message(update, session.seq))

    def publish_raw(self, data: bytes) -> None:
        for session in list(self._sessions):
            session.writer.write(data)

    def drop_connections(self) -> None:
        for session in list(self._sessions):
            transport = session.writer.transport
            transport.abort()
            self._sessions.discard(session)
