"""The daily loss limit (issue 13): realized plus unrealized loss since the session's start.

Both together are the change in the account's equity (cash plus every position at its mark)
since the session began, so one snapshot of the equity per account and session is all the
limit needs: no separate realized/unrealized books that could disagree. A session is a UTC
trading day. Crossing the limit moves the account to ``reducing``; it stays there until an admin
sets it back (a limit that lifts itself at midnight would let a losing strategy start again
unattended).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from tradewind.domain.market import Quote


def session_of(at: datetime) -> date:
    """The trading session an instant belongs to: its UTC day."""
    if at.tzinfo is None:
        raise ValueError("session_of needs a timezone-aware time")
    return at.astimezone(UTC).date()


def equity(cash: Decimal, positions: Mapping[str, int], quotes: Mapping[str, Quote]) -> Decimal:
    """Cash plus every position at its last price (a short position counts negative)."""
    return cash + sum((Decimal(qty) * quotes[s].last for s, qty in positions.items() if qty), Decimal(0))


def loss_since_start(start_equity: Decimal, now_equity: Decimal) -> Decimal:
    """What the session has lost so far (negative: it is up)."""
    return start_equity - now_equity


def breach(start_equity: Decimal | None, now_equity: Decimal, limit: Decimal | None) -> str | None:
    """Why the limit is crossed, or ``None``. Crossing means a loss strictly above the limit: a
    loss of exactly the limit is still allowed (the same convention as every other limit)."""
    if limit is None or start_equity is None:
        return None
    loss = loss_since_start(start_equity, now_equity)
    if loss <= limit:
        return None
    return (
        f"daily loss limit: lost {loss:.2f} since the session's start "
        f"(equity {start_equity:.2f} -> {now_equity:.2f}); the limit is {limit:.2f}"
    )
