"""The order state machine: one table of legal ``(current, trigger)`` moves, everything else raises.

The product of every status with every status is checked, so a row added or dropped by accident
shows up here; the real-world edges and the ways out of a final status are pinned by name."""

from __future__ import annotations

import itertools

import pytest

from tradewind.domain.errors import InvalidTransition
from tradewind.domain.orders.status import FINAL, OPEN, TRANSITIONS, OrderStatus, can_transition, transition

S = OrderStatus
ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))


@pytest.mark.parametrize(("current", "trigger"), ALL_PAIRS, ids=[f"{c}->{t}" for c, t in ALL_PAIRS])
def test_every_pair_is_either_a_table_row_or_invalid(current: OrderStatus, trigger: OrderStatus) -> None:
    if (current, trigger) in TRANSITIONS:
        assert transition(current, trigger) is TRANSITIONS[(current, trigger)]
        assert can_transition(current, trigger)
    else:
        with pytest.raises(InvalidTransition) as caught:
            transition(current, trigger)
        assert (caught.value.current, caught.value.trigger) == (current, trigger)
        assert caught.value.code == "invalid_transition"
        assert not can_transition(current, trigger)


def test_a_legal_move_lands_on_its_trigger() -> None:
    assert all(nxt is trigger for (_, trigger), nxt in TRANSITIONS.items())


@pytest.mark.parametrize(
    ("current", "trigger"),
    [
        (S.CANCELED, S.FILLED),  # a fill that raced the cancel at the venue
        (S.CANCELED, S.PARTIALLY_FILLED),
        (S.UNKNOWN, S.ACCEPTED),  # reconciliation resolves a timed-out order
        (S.UNKNOWN, S.FILLED),
        (S.UNKNOWN, S.CANCELED),
        (S.PENDING, S.FILLED),  # the fill overtook the acknowledgement
        (S.BROKER_UNAVAILABLE, S.ACCEPTED),  # the broker had it after all
    ],
)
def test_real_world_edges_are_in_the_table(current: OrderStatus, trigger: OrderStatus) -> None:
    assert transition(current, trigger) is trigger


def test_final_and_open_partition_the_statuses() -> None:
    assert FINAL | OPEN == set(OrderStatus)
    assert not FINAL & OPEN
    assert {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.BROKER_UNAVAILABLE} == FINAL


# The only ways out of a final status: the broker is authoritative about fills and about an
# order it turns out to have had. Anything else added here needs a reason in status.py.
DOCUMENTED_EXITS = {
    S.FILLED: set(),
    S.REJECTED: set(),
    S.EXPIRED: set(),
    S.CANCELED: {S.PARTIALLY_FILLED, S.FILLED},
    S.BROKER_UNAVAILABLE: {S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED},
}


@pytest.mark.parametrize("final", sorted(FINAL))
def test_a_final_status_leaves_only_by_a_documented_edge(final: OrderStatus) -> None:
    exits = {trigger for (current, trigger) in TRANSITIONS if current is final}
    assert exits == DOCUMENTED_EXITS[final]


def test_nothing_goes_back_to_pending() -> None:
    assert [pair for pair in TRANSITIONS if pair[1] is S.PENDING] == []


def test_only_unknown_broker_unavailable_and_in_flight_requests_return_to_accepted() -> None:
    back_to_accepted = {current for (current, trigger) in TRANSITIONS if trigger is S.ACCEPTED}
    assert back_to_accepted == {S.PENDING, S.UNKNOWN, S.BROKER_UNAVAILABLE, S.PENDING_CANCEL, S.PENDING_REPLACE}
