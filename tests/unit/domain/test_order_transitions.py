"""The order state machine: one table of legal ``(status, trigger)`` moves, everything else raises.

The product of every status with every trigger is checked, so a row added or dropped by accident
shows up here; the real-world edges and the ways out of a final status are pinned by name."""

from __future__ import annotations

import itertools

import pytest

from tradewind.domain.errors import InvalidTransition
from tradewind.domain.orders.status import (
    FINAL,
    LIVE,
    OPEN,
    TRANSITIONS,
    OrderStatus,
    Trigger,
    can_transition,
    transition,
)

S = OrderStatus
T = Trigger
ALL_PAIRS = list(itertools.product(OrderStatus, Trigger))


@pytest.mark.parametrize(("current", "trigger"), ALL_PAIRS, ids=[f"{c}-{t}" for c, t in ALL_PAIRS])
def test_every_pair_is_either_a_table_row_or_invalid(current: OrderStatus, trigger: Trigger) -> None:
    if (current, trigger) in TRANSITIONS:
        assert transition(current, trigger) is TRANSITIONS[(current, trigger)]
        assert can_transition(current, trigger)
    else:
        with pytest.raises(InvalidTransition) as caught:
            transition(current, trigger)
        assert (caught.value.current, caught.value.trigger) == (current, trigger)
        assert caught.value.code == "invalid_transition"
        assert not can_transition(current, trigger)


def test_the_table_is_keyed_by_status_and_trigger_and_lands_on_statuses() -> None:
    assert all(isinstance(s, OrderStatus) and isinstance(t, Trigger) for s, t in TRANSITIONS)
    assert all(isinstance(nxt, OrderStatus) for nxt in TRANSITIONS.values())
    assert LIVE is S.ACCEPTED  # Order.apply resolves it to partially_filled when part is filled


@pytest.mark.parametrize(
    ("current", "trigger", "nxt"),
    [
        (S.CANCELED, T.FILL_COMPLETE, S.FILLED),  # a fill that raced the cancel at the venue
        (S.CANCELED, T.FILL_PARTIAL, S.CANCELED),  # counted, but a canceled order is not reopened
        (S.UNKNOWN, T.ACK, LIVE),  # reconciliation resolves a timed-out order
        (S.UNKNOWN, T.FILL_COMPLETE, S.FILLED),
        (S.UNKNOWN, T.CANCELED, S.CANCELED),
        (S.PENDING, T.FILL_COMPLETE, S.FILLED),  # the fill overtook the acknowledgement
        (S.PENDING, T.FILL_PARTIAL, S.PARTIALLY_FILLED),
        (S.BROKER_UNAVAILABLE, T.ACK, LIVE),  # the broker had it after all
        (S.PENDING_CANCEL, T.FILL_PARTIAL, S.PENDING_CANCEL),  # a fill while the cancel is in flight
        (S.PENDING_CANCEL, T.CANCEL_REJECTED, LIVE),  # the venue said no: it works on
        (S.PENDING_REPLACE, T.REPLACED, LIVE),
        (S.PENDING_REPLACE, T.REPLACE_REJECTED, LIVE),
        (S.PENDING_REPLACE, T.FILL_COMPLETE, S.FILLED),
        (S.PENDING_CANCEL, T.REPLACED, S.PENDING_CANCEL),  # an amend that was ahead of the cancel
        (S.ACCEPTED, T.ACK, S.ACCEPTED),  # a reconciliation's acknowledgement of a working order
        (S.PARTIALLY_FILLED, T.ACK, S.PARTIALLY_FILLED),
    ],
)
def test_real_world_edges_are_in_the_table(current: OrderStatus, trigger: Trigger, nxt: OrderStatus) -> None:
    assert transition(current, trigger) is nxt


@pytest.mark.parametrize(
    ("current", "trigger"),
    [
        (S.FILLED, T.FILL_PARTIAL),  # an older partial after the complete fill
        (S.FILLED, T.ACK),
        (S.FILLED, T.CANCELED),
        (S.REJECTED, T.FILL_COMPLETE),  # no longer "a complete fill wins over anything"
        (S.EXPIRED, T.REPLACED),
        (S.PENDING, T.AMEND_REQUESTED),  # amend only once the venue acknowledged the order
        (S.PENDING_CANCEL, T.CANCEL_REQUESTED),  # one cancel in flight at a time
        (S.PENDING_REPLACE, T.AMEND_REQUESTED),  # one amend in flight at a time
        (S.PENDING_CANCEL, T.AMEND_REQUESTED),
        (S.ACCEPTED, T.CANCEL_REJECTED),  # an answer to a request nobody made
        (S.ACCEPTED, T.REPLACED),
    ],
)
def test_impossible_moves_are_not_in_the_table(current: OrderStatus, trigger: Trigger) -> None:
    assert not can_transition(current, trigger)


def test_final_and_open_partition_the_statuses() -> None:
    assert FINAL | OPEN == set(OrderStatus)
    assert not FINAL & OPEN
    assert {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.BROKER_UNAVAILABLE} == FINAL


# The only ways out of a final status, with where they lead: the venue is authoritative about
# fills and about an order it turns out to have had; its late "no" to a cancel or amend of an
# order that ended meanwhile changes nothing. Anything else added here needs a reason in status.py.
_LATE_NO = {T.CANCEL_REJECTED: "self", T.REPLACE_REJECTED: "self"}
DOCUMENTED_EXITS: dict[OrderStatus, dict[Trigger, OrderStatus | str]] = {
    S.FILLED: dict(_LATE_NO),
    S.REJECTED: dict(_LATE_NO),
    S.EXPIRED: dict(_LATE_NO),
    S.CANCELED: {**_LATE_NO, T.FILL_PARTIAL: S.CANCELED, T.FILL_COMPLETE: S.FILLED},
    S.BROKER_UNAVAILABLE: {
        **_LATE_NO,
        T.ACK: S.ACCEPTED,
        T.FILL_PARTIAL: S.PARTIALLY_FILLED,
        T.FILL_COMPLETE: S.FILLED,
    },
}


@pytest.mark.parametrize("final", sorted(FINAL))
def test_a_final_status_leaves_only_by_a_documented_edge(final: OrderStatus) -> None:
    exits = {trigger: nxt for (current, trigger), nxt in TRANSITIONS.items() if current is final}
    expected = {t: final if nxt == "self" else nxt for t, nxt in DOCUMENTED_EXITS[final].items()}
    assert exits == expected


def test_nothing_goes_back_to_pending() -> None:
    assert [pair for pair, nxt in TRANSITIONS.items() if nxt is S.PENDING] == []


def test_only_the_command_side_puts_a_request_in_flight() -> None:
    """``pending_cancel``/``pending_replace`` are entered by a request, or kept while one is in
    flight; no venue report starts one."""
    entered = {
        trigger
        for (current, trigger), nxt in TRANSITIONS.items()
        if nxt in (S.PENDING_CANCEL, S.PENDING_REPLACE) and current is not nxt
    }
    assert entered == {T.CANCEL_REQUESTED, T.AMEND_REQUESTED}
    amendable = {current for (current, trigger) in TRANSITIONS if trigger is T.AMEND_REQUESTED}
    assert amendable == {S.ACCEPTED, S.PARTIALLY_FILLED}
    cancelable = {current for (current, trigger) in TRANSITIONS if trigger is T.CANCEL_REQUESTED}
    assert cancelable == {S.PENDING, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_REPLACE, S.UNKNOWN}


def test_only_reconciliation_the_venues_answers_and_a_late_ack_return_to_live() -> None:
    back_to_live = {(current, trigger) for (current, trigger), nxt in TRANSITIONS.items() if nxt is LIVE}
    assert back_to_live == {
        (S.PENDING, T.ACK),
        (S.ACCEPTED, T.ACK),
        (S.UNKNOWN, T.ACK),
        (S.BROKER_UNAVAILABLE, T.ACK),
        (S.PENDING_CANCEL, T.CANCEL_REJECTED),
        (S.PENDING_REPLACE, T.REPLACED),
        (S.PENDING_REPLACE, T.REPLACE_REJECTED),
    }


def test_a_cancel_before_the_ack_then_a_venue_that_is_down_ends_broker_unavailable() -> None:
    from tradewind.domain.orders.status import OrderStatus, Trigger, transition

    assert transition(OrderStatus.PENDING_CANCEL, Trigger.BROKER_UNAVAILABLE) is OrderStatus.BROKER_UNAVAILABLE
