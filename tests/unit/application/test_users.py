"""Creating users and resolving their API tokens: only a hash of the token is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.accounts.users import Authenticate, CreateUser, InvalidUser, hash_token


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


async def test_a_created_user_authenticates_with_its_token_and_only_the_hash_is_stored(store: MemoryStore) -> None:
    created = await CreateUser(lambda: MemoryUnitOfWork(store))("  alice ", "100000.50")
    assert created.account.name == "alice" and created.account.cash == Decimal("100000.50")
    assert created.token.startswith("tw_") and len(created.token) > 32
    assert list(store.tokens) == [hash_token(created.token)] and created.token not in store.tokens
    authenticate = Authenticate(lambda: MemoryUnitOfWork(store))
    assert await authenticate(created.token) == created.account
    assert await authenticate(created.token + "x") is None
    assert await authenticate("") is None


async def test_a_given_token_is_used(store: MemoryStore) -> None:
    created = await CreateUser(lambda: MemoryUnitOfWork(store))("bob", 5, token="bob-token")
    assert created.token == "bob-token"
    assert await Authenticate(lambda: MemoryUnitOfWork(store))("bob-token") == created.account


@pytest.mark.parametrize(
    ("name", "cash", "field"),
    [
        ("", "100", "name"),
        ("   ", "100", "name"),
        ("x" * 65, "100", "name"),
        ("carol", "lots", "cash"),
        ("carol", "-1", "cash"),
        ("carol", "NaN", "cash"),
        ("carol", "Infinity", "cash"),
        ("carol", "1e13", "cash"),
    ],
)
async def test_bad_users_are_refused_and_nothing_is_stored(
    store: MemoryStore, name: str, cash: str, field: str
) -> None:
    with pytest.raises(InvalidUser) as caught:
        await CreateUser(lambda: MemoryUnitOfWork(store))(name, cash)
    assert caught.value.field == field and caught.value.code == "invalid_user"
    assert store.accounts == {} and store.tokens == {}


async def test_the_token_cache_is_bounded_and_keeps_the_recently_used(store: MemoryStore) -> None:
    lookups: list[int] = []

    def uow() -> MemoryUnitOfWork:
        lookups.append(1)  # one per database round trip the cache did not save
        return MemoryUnitOfWork(store)

    created = [await CreateUser(lambda: MemoryUnitOfWork(store))(f"u{i}", 1, token=f"token-{i}") for i in range(5)]
    authenticate = Authenticate(uow, max_entries=3)
    for user in created[:3]:
        assert await authenticate(user.token) == user.account
    assert await authenticate("token-0") == created[0].account  # cached: token-0 is now the most recent
    assert len(lookups) == 3
    for user in created[3:]:
        assert await authenticate(user.token) == user.account  # evicts token-1, then token-2
    assert authenticate.cached == 3
    lookups.clear()
    assert await authenticate("token-0") == created[0].account  # kept (recently used)
    assert lookups == []
    assert await authenticate("token-1") == created[1].account  # evicted: looked up again
    assert lookups == [1] and authenticate.cached == 3


async def test_a_cached_token_expires_after_its_ttl(store: MemoryStore) -> None:
    lookups: list[int] = []

    def uow() -> MemoryUnitOfWork:
        lookups.append(1)
        return MemoryUnitOfWork(store)

    await CreateUser(lambda: MemoryUnitOfWork(store))("ttl", 1, token="ttl-token")
    authenticate = Authenticate(uow, ttl_seconds=0.0)  # every entry is already expired when read
    await authenticate("ttl-token")
    await authenticate("ttl-token")
    assert len(lookups) == 2 and authenticate.cached == 1  # the expired entry was replaced, not added
