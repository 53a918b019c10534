"""Each exchange's normalizer on messages in its real wire format, and on garbage: a good
message becomes the exact ``PriceUpdate``, a control message is ignored, anything else is a
``MalformedMessage`` (which the feed counts and drops)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tradewind.adapters.broker.feeds.base import MalformedMessage
from tradewind.adapters.broker.feeds.fix_tcp import FixFramer, fix_message, normalize_fix
from tradewind.adapters.broker.feeds.rest_poll import RestSnapshotNormalizer, parse_snapshot
from tradewind.adapters.broker.feeds.simulators.fix_exchange import snapshot_message
from tradewind.adapters.broker.feeds.simulators.ws_exchange import ticker_message
from tradewind.adapters.broker.feeds.ws_json import normalize_ws_json
from tradewind.domain.marketdata import PriceUpdate

D = Decimal
TS = 1_709_564_400_123  # 2024-03-04T15:00:00.123Z

# -- WebSocket JSON ------------------------------------------------------------------------

WS_TICKER = (
    '{"type":"ticker","sequence":42,"product_id":"AAPL","best_bid":"189.01","best_ask":"189.03",'
    '"price":"189.02","last_size":"100","time":"2024-03-04T15:00:00.123Z"}'
)


def test_ws_ticker_becomes_the_update() -> None:
    assert normalize_ws_json(WS_TICKER) == PriceUpdate("AAPL", D("189.01"), D("189.03"), D("189.02"), 100, TS, "WSX")


def test_ws_control_messages_are_ignored() -> None:
    assert normalize_ws_json('{"type":"heartbeat","sequence":1}') is None
    assert normalize_ws_json(b'{"type":"subscriptions","product_ids":["AAPL"]}') is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json",
        "[1, 2]",
        b"\xff\xfe",
        '{"type":"trade"}',
        WS_TICKER.replace('"189.01"', "189.01"),  # a float on the wire
        WS_TICKER.replace('"189.01"', '"abc"'),
        WS_TICKER.replace('"100"', '"100.5"'),
        WS_TICKER.replace('"AAPL"', '"aapl"'),
        WS_TICKER.replace("2024-03-04T15:00:00.123Z", "2024-03-04T15:00:00.123"),  # no timezone
        WS_TICKER.replace("2024-03-04T15:00:00.123Z", "yesterday"),
        WS_TICKER.replace('"189.03"', '"180.00"'),  # crossed book
        json.dumps({k: v for k, v in json.loads(WS_TICKER).items() if k != "best_ask"}),
    ],
)
def test_ws_garbage_is_malformed(garbage: str | bytes) -> None:
    with pytest.raises(MalformedMessage):
        normalize_ws_json(garbage)


def test_ws_simulator_speaks_the_format_the_normalizer_reads() -> None:
    update = PriceUpdate("MSFT", D("400.1"), D("400.3"), D("400.2"), 300, TS, "WSX")
    assert normalize_ws_json(ticker_message(update, 7)) == update


# -- FIX tag=value -------------------------------------------------------------------------


def soh(text: str) -> bytes:
    return text.replace("|", "\x01").encode()


def framed(body: str) -> bytes:
    """A frame with correct BodyLength and CheckSum around ``body`` (from 35= on, |-separated)."""
    return fix_message(tuple((int(t), v) for t, v in (f.split("=", 1) for f in body.strip("|").split("|"))))


FIX_W = (
    "35=W|49=SIMFIX|56=TRADEWIND|34=12|52=20240304-15:00:00.123|55=AAPL|268=3|"
    "269=0|270=189.01|271=500|269=1|270=189.03|271=300|269=2|270=189.02|271=100|"
)


def test_fix_snapshot_becomes_the_update() -> None:
    frame = framed(FIX_W)
    assert frame.startswith(soh("8=FIX.4.4|9=")) and frame.endswith(b"\x01")
    assert normalize_fix(frame) == PriceUpdate("AAPL", D("189.01"), D("189.03"), D("189.02"), 100, TS, "FIXSIM")


def test_fix_transact_time_wins_over_sending_time() -> None:
    frame = framed(FIX_W + "60=20240304-14:59:59.999|")
    update = normalize_fix(frame)
    assert update is not None and update.timestamp_ms == TS - 124


def test_fix_a_hand_written_frame_with_its_real_checksum() -> None:
    body = soh("35=0|49=SIMFIX|56=TRADEWIND|34=2|52=20240304-15:00:00.000|")
    head = soh(f"8=FIX.4.4|9={len(body)}|")
    frame = head + body + soh(f"10={sum(head + body) % 256:03d}|")
    assert normalize_fix(frame) is None  # a heartbeat: control


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world",
        framed(FIX_W)[:-5] + b"999\x01",  # checksum altered
        framed(FIX_W).replace(b"9=", b"9=1", 1),  # body length altered (and so the checksum)
        soh("8=FIX.4.4|9=5|35=W|10=000|"),
        framed(FIX_W.replace("35=W", "35=D")),  # an order, not market data
        framed(FIX_W.replace("269=2|270=189.02|271=100|", "")),  # no trade entry
        framed(FIX_W.replace("270=189.01", "270=abc")),
        framed(FIX_W.replace("271=100", "271=1.5")),
        framed(FIX_W.replace("52=20240304-15:00:00.123", "52=2024-03-04 15:00")),
        framed(FIX_W.replace("55=AAPL|", "")),
    ],
)
def test_fix_garbage_is_malformed(garbage: bytes) -> None:
    with pytest.raises(MalformedMessage):
        normalize_fix(garbage)


def test_fix_framer_resynchronises_after_junk_and_cut_frames() -> None:
    one, two = snapshot_message(update_at("AAPL"), 1), snapshot_message(update_at("MSFT"), 2)
    stream = b"junk" + one + two[:30] + two + b"\x00\x00"
    framer = FixFramer()
    out = []
    for i in range(0, len(stream), 7):  # arrives in small pieces
        out += framer.feed(stream[i : i + 7])
    frames = [chunk for ok, chunk in out if ok]
    junk = [chunk for ok, chunk in out if not ok]
    assert frames == [one, two]
    assert junk == [b"junk", two[:30]]


def update_at(symbol: str) -> PriceUpdate:
    return PriceUpdate(symbol, D("10.00"), D("10.02"), D("10.01"), 200, TS, "FIXSIM")


def test_fix_simulator_speaks_the_format_the_normalizer_reads() -> None:
    assert normalize_fix(snapshot_message(update_at("KO"), 3)) == update_at("KO")


# -- REST snapshots ------------------------------------------------------------------------

REST_BODY = b'{"quotes":{"AAPL":{"bp":189.01,"ap":189.03,"lp":189.02,"v":1250300,"t":1709564400123}}}'


def test_rest_numbers_are_read_as_exact_decimals_and_volume_is_the_growth() -> None:
    normalizer = RestSnapshotNormalizer()
    [(symbol, entry)] = parse_snapshot(REST_BODY).items()
    first = normalizer.normalize(symbol, entry)
    assert first == PriceUpdate("AAPL", D("189.01"), D("189.03"), D("189.02"), 0, TS, "RESTX")
    assert str(first.bid) == "189.01"  # not 189.00999999999999
    later = parse_snapshot(REST_BODY.replace(b"1250300", b"1250700").replace(b"400123", b"401000"))
    second = normalizer.normalize("AAPL", later["AAPL"])
    assert second is not None and second.volume == 400 and second.timestamp_ms == TS + 877


def test_rest_an_unchanged_snapshot_is_no_new_update() -> None:
    normalizer = RestSnapshotNormalizer()
    entry = parse_snapshot(REST_BODY)["AAPL"]
    assert normalizer.normalize("AAPL", entry) is not None
    assert normalizer.normalize("AAPL", entry) is None


def test_rest_a_volume_reset_counts_from_zero() -> None:
    normalizer = RestSnapshotNormalizer()
    normalizer.normalize("AAPL", parse_snapshot(REST_BODY)["AAPL"])
    reset = parse_snapshot(REST_BODY.replace(b"1250300", b"300").replace(b"400123", b"500000"))
    update = normalizer.normalize("AAPL", reset["AAPL"])
    assert update is not None and update.volume == 300


@pytest.mark.parametrize("garbage", [b"", b"<html>busy</html>", b"[]", b'{"quotes": []}', b'{"data": {}}'])
def test_rest_garbage_bodies_are_malformed(garbage: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_snapshot(garbage)


@pytest.mark.parametrize(
    "entry",
    [
        "189.02",
        {"bp": "189.01", "ap": 189.03, "lp": 189.02, "v": 1, "t": TS},  # a string price
        {"bp": 189.01, "ap": 189.03, "lp": 189.02, "v": 1, "t": TS / 1000},  # seconds as a float
        {"bp": 189.01, "ap": 189.03, "lp": 189.02, "v": -5, "t": TS},
        {"bp": 189.01, "ap": 189.03, "lp": 189.02, "t": TS},
        {"bp": 190, "ap": 189, "lp": 189.5, "v": 1, "t": TS},  # crossed
        {"bp": True, "ap": 189.03, "lp": 189.02, "v": 1, "t": TS},
    ],
)
def test_rest_bad_entries_are_malformed(entry: object) -> None:
    raw = json.loads(json.dumps({"quotes": {"AAPL": entry}}), parse_float=Decimal)
    with pytest.raises(MalformedMessage):
        RestSnapshotNormalizer().normalize("AAPL", raw["quotes"]["AAPL"])
