"""Create a user's account with its API token, and resolve a token to its account.

Only a SHA-256 of the token is stored: a database dump does not hand out trading access.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tradewind.application.ports import UnitOfWorkFactory
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import DomainError


class InvalidUser(DomainError):
    code = "invalid_user"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CreatedUser:
    account: Account
    token: str


class CreateUser:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, name: str, cash: str | Decimal, *, token: str | None = None, admin: bool = False
    ) -> CreatedUser:
        name = name.strip()
        if not name or len(name) > 64:
            raise InvalidUser("name must be 1-64 characters", field="name")
        try:
            amount = Decimal(str(cash))
        except (InvalidOperation, ValueError):
            raise InvalidUser(f"cash is not a number: {cash!r}", field="cash") from None
        if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
            raise InvalidUser("cash must be between 0 and 1,000,000,000,000", field="cash")
        token = token or "tw_" + secrets.token_urlsafe(32)
        account = Account(id=uuid.uuid4(), name=name, cash=amount, created_at=utcnow(), is_admin=admin)
        async with self._uow() as uow:
            await uow.accounts.add(account, hash_token(token))
            await uow.commit()
        return CreatedUser(account, token)


class Authenticate:
    """Token -> account. Valid tokens are remembered for ``ttl_seconds`` so a burst of orders (or
    of SSE connections) does not pay a database round trip each; at most ``max_entries`` are kept,
    the least recently used going first. Unknown tokens are never cached (no negative cache to
    poison)."""

    def __init__(self, uow: UnitOfWorkFactory, *, ttl_seconds: float = 30.0, max_entries: int = 50_000) -> None:
        self._uow = uow
        self._ttl = ttl_seconds
        self._max = max_entries
        self._cache: OrderedDict[str, tuple[Account, float]] = OrderedDict()

    @property
    def cached(self) -> int:
        return len(self._cache)

    async def __call__(self, token: str) -> Account | None:
        if not token:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None:
            if hit[1] > now:
                self._cache.move_to_end(digest)
                return hit[0]
            del self._cache[digest]
        async with self._uow() as uow:
            account = await uow.accounts.by_token_hash(digest)
        if account is not None:
            self._cache[digest] = (account, now + self._ttl)
            self._cache.move_to_end(digest)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return account
