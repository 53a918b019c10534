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
