"""The process's PostgreSQL pool, whose released connections cost no round trip.

asyncpg resets every connection it takes back (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
RESET ALL``): one more round trip at the end of every unit of work, inside each order's
acknowledgement and each consumer's poll (issue 15). Our units of work are transactions and keep
no session state (no ``SET``, cursors, ``LISTEN`` or session advisory locks: those live only on
the outbox relay's leadership connection, which resets itself with ``Connection.reset`` when it
lets go). So the pool's reset does nothing more than asyncpg always does first on release: roll
back a transaction left open and drop the connection's listeners."""

from __future__ import annotations

from typing import Any

import asyncpg


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query: a unit of work leaves no session state behind (see the module docstring)."""


def create_pool(*, dsn: str, min_size: int, max_size: int) -> Any:
    """``asyncpg.create_pool`` with the reset above (awaitable, as asyncpg's is)."""
    return asyncpg.create_pool(dsn=dsn, min_size=min_size, max_size=max_size, reset=_keep_session)
