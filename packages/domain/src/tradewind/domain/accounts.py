"""Trading accounts. One user owns one account; the API token maps to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    name: str
    #: cash the account was funded with; fills move it (see ``Exposure.cash``)
    cash: Decimal
    created_at: datetime
