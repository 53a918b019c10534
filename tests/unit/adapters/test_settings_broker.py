"""Which broker the gateway trades through when nobody says: the venue over FIX on the ``local``
and ``aws`` profiles (its book outlives the gateway), the in-process paper broker on ``memory``
(one process, no venue), whatever ``TRADEWIND_BROKER`` says otherwise."""

from __future__ import annotations

import pytest

from tradewind.adapters.aws.settings import Settings


@pytest.mark.parametrize(("profile", "broker"), [("local", "fix"), ("aws", "fix"), ("memory", "paper")])
def test_the_default_broker_follows_the_profile(profile: str, broker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEWIND_BROKER", raising=False)
    assert Settings(profile=profile).broker == broker  # type: ignore[arg-type]


def test_the_environment_picks_the_paper_broker_on_the_local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_BROKER", "paper")
    assert Settings(profile="local").broker == "paper"


def test_the_memory_profile_has_no_venue_to_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_BROKER", "fix")
    assert Settings(profile="memory").broker == "paper"  # `tradewind demo --venue` sets it after validation
