"""Exchange feed #2: FIX-style ``tag=value`` market data over a plain TCP stream.

Wire format: FIX 4.4 framing, fields separated by SOH (``\\x01``)::

    8=FIX.4.4 9=<body length> 35=W 49=SIMFIX 56=TRADEWIND 34=<seq> 52=20240304-15:00:00.123
    55=AAPL 268=3 269=0 270=189.01 271=500 269=1 270=189.03 271=300 269=2 270=189.02 271=100
    10=<checksum>

``35=W`` is a market data snapshot: entry type 269 = 0 bid, 1 offer, 2 trade (price 270, size
271; the trade's size is the update's volume); event time is ``60`` (TransactTime) when present,
else ``52`` (SendingTime), UTC. Body length and checksum are verified. ``35=0`` (heartbeat) and
``35=A`` (logon) are control messages. The client logs on (``35=A``) and asks for the symbols
(``35=V``); bytes that are not a frame are counted as malformed and the reader resynchronises on
the next ``8=FIX``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from tradewind.adapters.broker.feeds.base import Backoff, ExchangeFeed, MalformedMessage
from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate

EXCHANGE = "FIXSIM"
SOH = b"\x01"
BEGIN = "FIX.4.4"
MAX_FRAME = 8_192
CONTROL_TYPES = frozenset({"0", "A", "1", "5"})  # heartbeat, logon, test request, logout


def fix_message(fields: Iterable[tuple[int, object]], begin: str = BEGIN) -> bytes:
    """Frame ``fields`` (from tag 35 on) with BeginString, BodyLength and CheckSum."""
    body = b"".join(f"{tag}={value}".encode() + SOH for tag, value in fields)
    head = f"8={begin}".encode() + SOH + f"9={len(body)}".encode() + SOH
    checksum = sum(head + body) % 256
    return head + body + f"10={checksum:03d}".encode() + SOH


def fix_time(ts_ms: int) -> str:
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{ts_ms % 1000:03d}"


def _parse_time(value: str) -> int:
    # YYYYMMDD-HH:MM:SS[.sss]
    try:
        if len(value) not in (17, 21) or value[8] != "-" or value[11] != ":" or value[14] != ":":
            raise ValueError(value)
        moment = datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]), int(value[12:14]),
            int(value[15:17]), tzinfo=UTC,
        )  # fmt: skip
        millis = int(value[18:21]) if len(value) == 21 else 0
    except ValueError:
        raise MalformedMessage(f"not a UTCTimestamp: {value!r}") from None
    return int(moment.timestamp()) * 1000 + millis


def parse_fix(frame: bytes) -> list[tuple[int, str]]:
    """The fields of one frame after verifying begin string, body length and checksum."""
    if not frame.startswith(b"8=FIX") or not frame.endswith(SOH):
        raise MalformedMessage("not a FIX frame")
    trailer = frame.rfind(SOH + b"10=", 0, len(frame) - 1)
    if trailer < 0:
        raise MalformedMessage("no checksum")
    checksum_text = frame[trailer + 4 : -1]
    if not checksum_text.isdigit() or int(checksum_text) != sum(frame[: trailer + 1]) % 256:
        raise MalformedMessage("checksum mismatch")
    try:
        fields = [
            (int(tag), value.decode()) for tag, _, value in (f.partition(b"=") for f in frame[:trailer].split(SOH))
        ]
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage("a field is not tag=value") from None
    if len(fields) < 3 or fields[1][0] != 9 or fields[2][0] != 35:
        raise MalformedMessage("header must be 8, 9, 35")
    body_start = frame.index(SOH, frame.index(b"9=")) + 1
    if not fields[1][1].isdigit() or int(fields[1][1]) != trailer + 1 - body_start:
        raise MalformedMessage("body length mismatch")
    return fields


def _price(value: str | None, what: str) -> Decimal:
    if value is None:
        raise MalformedMessage(f"no {what} entry")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise MalformedMessage(f"{what} price is not a number: {value!r}") from None


def normalize_fix(frame: bytes, *, exchange: str = EXCHANGE) -> PriceUpdate | None:
    """One frame -> a ``PriceUpdate``, ``None`` for a control message; ``MalformedMessage`` else."""
    fields = parse_fix(frame)
    msg_type = fields[2][1]
    if msg_type in CONTROL_TYPES:
        return None
    if msg_type != "W":
        raise MalformedMessage(f"unexpected MsgType {msg_type!r}")
    symbol, sending, transact = None, None, None
    entries: dict[str, tuple[str | None, str | None]] = {}
    current: str | None = None
    for tag, value in fields[3:]:
        if tag == 55:
            symbol = value
        elif tag == 52:
            sending = value
        elif tag == 60:
            transact = value
        elif tag == 269:
            current = value
            entries[current] = (None, None)
        elif tag in (270, 271) and current is not None:
            px, size = entries[current]
            entries[current] = (value, size) if tag == 270 else (px, value)
    when = transact or sending
    if when is None:
        raise MalformedMessage("no SendingTime (52) or TransactTime (60)")
    trade_size = entries.get("2", (None, None))[1]
    if trade_size is None or not trade_size.isdigit():
        raise MalformedMessage("trade size (271) must be whole shares")
    try:
        return PriceUpdate(
            symbol=symbol,  # type: ignore[arg-type]  # checked by PriceUpdate
            bid=_price(entries.get("0", (None, None))[0], "bid"),
            ask=_price(entries.get("1", (None, None))[0], "offer"),
            last=_price(entries.get("2", (None, None))[0], "trade"),
            volume=int(trade_size),
            timestamp_ms=_parse_time(when),
            exchange=exchange,
        )
    except InvalidPriceUpdate as exc:
        raise MalformedMessage(exc.detail) from None


def _begin(buf: bytearray, start: int) -> int:
    """Where the next BeginString is: ``8=FIX`` not preceded by a digit (not tag 58, 108...)."""
    at = buf.find(b"8=FIX", start)
    while at > 0 and 48 <= buf[at - 1] <= 57:
        at = buf.find(b"8=FIX", at + 1)
    return at


class FixFramer:
    """Cuts a byte stream into FIX frames; what lies between frames comes out as garbage."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> list[tuple[bool, bytes]]:
        """``(True, frame)`` for each complete frame, ``(False, junk)`` for unframed bytes."""
        buf, out = self._buf, []
        buf += data
        while buf:
            start = _begin(buf, 0)
            if start < 0:
                if len(buf) > self._max:
                    out.append((False, bytes(buf[:-4])))
                    del buf[:-4]  # keep a possible partial "8=FI"
                break
            if start > 0:
                out.append((False, bytes(buf[:start])))
                del buf[:start]
            end = buf.find(SOH + b"10=")
            restart = _begin(buf, 1)
            if restart >= 0 and (end < 0 or restart < end):
                out.append((False, bytes(buf[:restart])))  # a frame cut short by the next one
                del buf[:restart]
                continue
            close = buf.find(SOH, end + 4) if end >= 0 else -1
            if close < 0:
                if len(buf) > self._max:
                    out.append((False, bytes(buf)))
                    buf.clear()
                break
            out.append((True, bytes(buf[: close + 1])))
            del buf[: close + 1]
        return out


class FixTcpFeed(ExchangeFeed):
    def __init__(
        self,
        host: str,
        port: int,
        symbols: Sequence[str] = (),
        *,
        name: str = "fix-tcp",
        sender: str = "TRADEWIND",
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(name, backoff=backoff)
        self.host, self.port = host, port
        self.symbols = list(symbols)
        self.sender = sender

    async def _session(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 5)
        self._counts["connects"] += 1
        closer = asyncio.create_task(_close_on(stop, writer))
        try:
            writer.write(fix_message([(35, "A"), (49, self.sender), (56, "EXCHANGE"), (34, 1), (98, 0), (108, 30)]))
            request: list[tuple[int, object]] = [(35, "V"), (49, self.sender), (34, 2), (262, "md-1"), (263, 1)]
            request += [(146, len(self.symbols)), *((55, s) for s in self.symbols)]
            writer.write(fix_message(request))
            await writer.drain()
            framer = FixFramer()
            while data := await reader.read(65_536):  # b"": the exchange (or ``stop``) closed it
                for complete, chunk in framer.feed(data):
                    if not complete:
                        self._counts["received"] += 1
                        self._malformed(chunk, "bytes outside a FIX frame")
                        continue
                    self._counts["received"] += 1
                    try:
                        update = normalize_fix(chunk, exchange=EXCHANGE)
                    except MalformedMessage as exc:
                        self._malformed(chunk, exc.reason)
                        continue
                    if update is None:
                        self._counts["ignored"] += 1
                        continue
                    await self._deliver(update)
        finally:
            closer.cancel()
            writer.close()


async def _close_on(stop: asyncio.Event, writer: asyncio.StreamWriter) -> None:
    await stop.wait()
    writer.close()
