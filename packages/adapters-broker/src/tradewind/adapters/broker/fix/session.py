"""QuickFIX session settings for both ends, written to a file in the end's state directory
(QuickFIX reads its settings from a file) beside its message store.

What the settings promise:

- ``FileStorePath``: sequence numbers and every message sent are persisted, so a reconnect (or a
  restart of either end) continues the session: the side that sees a gap asks for a resend and
  QuickFIX replays what was missed (PossDupFlag=Y). Messages sent while the counterparty is away
  are kept and delivered that way too.
- ``StartTime``/``EndTime`` 00:00:00 UTC: one session per day; QuickFIX resets the sequence
  numbers and clears the store at the daily boundary, which bounds the store to a day of
  messages (what is older is the venue's journal's and the reconciliation's business).
- no message log factory: the store is the record; the venue's journal keeps the orders.
- ``UseDataDictionary=N``: our messages have no repeating groups and both ends are ours; the
  reader functions in ``messages.py`` check every field they use and name the tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import quickfix as fix

from tradewind.adapters.broker.fix.messages import BEGIN_STRING


@dataclass(frozen=True, slots=True)
class FixEndpoint:
    host: str = "127.0.0.1"
    port: int = 9878
    venue_comp_id: str = "TRADEWIND-VENUE"
    gateway_comp_id: str = "TRADEWIND-GATEWAY"
    heartbeat_s: int = 5
    reconnect_s: int = 1


def _write(state_dir: Path, name: str, lines: list[str]) -> fix.SessionSettings:
    store = state_dir / "store"
    store.mkdir(parents=True, exist_ok=True)
    path = state_dir / name
    path.write_text("\n".join([*lines, f"FileStorePath={store}", ""]))
    return fix.SessionSettings(str(path))


def _common(endpoint: FixEndpoint) -> list[str]:
    return [
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "UseDataDictionary=N",
        "ResetOnLogon=N",
        "ResetOnLogout=N",
        "ResetOnDisconnect=N",
        "PersistMessages=Y",
        "ValidateUserDefinedFields=N",
        "SocketNodelay=Y",  # no Nagle: an ack and its fill go out as two small writes
        f"HeartBtInt={endpoint.heartbeat_s}",
    ]


def acceptor_settings(endpoint: FixEndpoint, state_dir: Path) -> fix.SessionSettings:
    lines = [
        "[DEFAULT]",
        "ConnectionType=acceptor",
        f"SocketAcceptHost={endpoint.host}",
        f"SocketAcceptPort={endpoint.port}",
        "SocketReuseAddress=Y",
        *_common(endpoint),
        "",
        "[SESSION]",
        f"BeginString={BEGIN_STRING}",
        f"SenderCompID={endpoint.venue_comp_id}",
        f"TargetCompID={endpoint.gateway_comp_id}",
    ]
    return _write(state_dir, "acceptor.cfg", lines)


def initiator_settings(endpoint: FixEndpoint, state_dir: Path) -> fix.SessionSettings:
    lines = [
        "[DEFAULT]",
        "ConnectionType=initiator",
        f"SocketConnectHost={endpoint.host}",
        f"SocketConnectPort={endpoint.port}",
        f"ReconnectInterval={endpoint.reconnect_s}",
        *_common(endpoint),
        "",
        "[SESSION]",
        f"BeginString={BEGIN_STRING}",
        f"SenderCompID={endpoint.gateway_comp_id}",
        f"TargetCompID={endpoint.venue_comp_id}",
    ]
    return _write(state_dir, "initiator.cfg", lines)


def session_id(endpoint: FixEndpoint, *, acceptor: bool) -> fix.SessionID:
    sender, target = (
        (endpoint.venue_comp_id, endpoint.gateway_comp_id)
        if acceptor
        else (endpoint.gateway_comp_id, endpoint.venue_comp_id)
    )
    return fix.SessionID(BEGIN_STRING, sender, target)
