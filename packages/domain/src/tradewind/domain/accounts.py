"""Trading accounts. One user owns one account; the API token maps to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class AccountKind(StrEnum):
    """``cash``: no leverage, no short sales (a buy spends only cash; a sell only what is held).
    ``margin``: buying power is equity times ``margin_multiplier``, and shorting is allowed."""

    CASH = "cash"
    MARGIN = "margin"


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    name: str
    #: cash the account was funded with; fills move it (see ``Exposure.cash``)
    cash: Decimal
    created_at: datetime
    kind: AccountKind = AccountKind.CASH
    margin_multiplier: Decimal = Decimal(1)
    #: an operator's account: may use the admin API (risk limits, trading states); trades not
    is_admin: bool = False
