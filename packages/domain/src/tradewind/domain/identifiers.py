"""One type per id kind, so an account id is never passed where an order id belongs."""

from __future__ import annotations

import uuid
from typing import NewType

AccountId = NewType("AccountId", uuid.UUID)
OrderId = NewType("OrderId", uuid.UUID)
EventId = NewType("EventId", uuid.UUID)


def new_order_id() -> OrderId:
    return OrderId(uuid.uuid4())


def new_event_id() -> EventId:
    return EventId(uuid.uuid4())
