"""Provider: the public API (REST) and its live stream (SSE), verified against every pact naming
``tradewind-api`` or ``tradewind-stream``.

The real app serves the verifier's requests over HTTP; provider states are built through the
application layer (``pact_api_provider``). Interactions marked pending (what the client already
expects of endpoints being built) are verified and reported, and fail nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pact import Verifier
from pact_api_provider import ApiUnderTest, StateServer
from pact_client_api import ACCOUNT, FILLED, PENDING, RESTING, STREAM_FILL, STREAM_ORDER, STREAM_POSITION, STREAM_QUOTE
from pact_support import VerificationFailed, interaction_results, pacts_naming, run_verifier

RERUN = "uv run pytest tests/contract/pact/test_provider_api.py"


@pytest.fixture
def api() -> Iterator[ApiUnderTest]:
    with ApiUnderTest() as api:
        yield api


def verify_api(api: ApiUnderTest, states: StateServer, description: str | None = None) -> list[dict[str, Any]]:
    assert pacts_naming("tradewind-api"), "no pact names tradewind-api: run the consumer tests first"
    verifier = (
        Verifier("tradewind-api", host="127.0.0.1").add_transport(url=api.url).state_handler(states.url, body=True)
    )
    if description is not None:
        verifier.filter(description=f"^{description}$")
    try:
        return interaction_results(run_verifier(verifier, "tradewind-api", RERUN))
    except VerificationFailed as failed:
        raise VerificationFailed(f"{failed}\nprovider states that could not be set up: {states.errors}") from None


def test_the_api_honours_every_pact_naming_it(api: ApiUnderTest) -> None:
    with StateServer(api.set_up) as states:
        verified = verify_api(api, states)
    binding = [r for r in verified if not r.get("pending")]
    assert binding and all(r["result"] == "OK" for r in binding), (binding, states.errors)
    pending = {r["description"]: r["result"] for r in verified if r.get("pending")}
    assert set(pending) <= PENDING, f"pending interactions the consumer did not mark pending: {pending}"
    print(f"pending (not yet built by the provider): {pending}")


def test_the_stream_honours_every_pact_naming_it(api: ApiUnderTest) -> None:
    assert pacts_naming("tradewind-stream"), "no pact names tradewind-stream: run the consumer tests first"
    producers = {
        STREAM_ORDER: lambda: api.stream_event(RESTING, "order"),
        STREAM_FILL: lambda: api.stream_event(FILLED, "fill"),
        STREAM_QUOTE: lambda: api.stream_event(RESTING, "quote"),
        STREAM_POSITION: lambda: api.stream_event(ACCOUNT, "position", live=True),
    }
    verifier = Verifier("tradewind-stream", host="127.0.0.1").message_handler(producers)
    verified = interaction_results(run_verifier(verifier, "tradewind-stream", RERUN))
    assert verified and all(r["result"] == "OK" for r in verified), verified


def test_the_stream_ids_are_the_ledgers_account_seq_on_order_frames_only(api: ApiUnderTest) -> None:
    """What the stream pact's ``id`` means: the OMS ledger's ``account_seq`` of the event, on its
    ``order`` frame; the ``fill`` frame of the same event comes just before, without an id, so a
    client resuming with ``Last-Event-ID`` gets whole events. A filled market order is three
    events: submitted (1), accepted (2), filled (3)."""
    values = api.set_up(FILLED)
    frames = api.stream_frames(values, "0", orders=3)
    assert [(f["event"], f.get("id")) for f in frames] == [
        ("order", "1"),
        ("order", "2"),
        ("fill", None),
        ("order", "3"),
    ]
    resumed = api.stream_frames(values, "2", orders=1)
    assert [(f["event"], f.get("id")) for f in resumed] == [("fill", None), ("order", "3")]
