"""The in-memory twin of the dead-letter store: the same contract as ``PgDeadLetterStore``,
bounded to the newest ``max_letters`` (the demo's process is its retention)."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from tradewind.application.dead_letters import DeadLetter
from tradewind.domain.clock import utcnow


class MemoryDeadLetterStore:
    def __init__(self, *, max_letters: int = 10_000) -> None:
        self._letters: OrderedDict[int, DeadLetter] = OrderedDict()
        self._places: dict[tuple[int, int], int] = {}
        self._next = 1
        self._max = max_letters

    async def add(self, letter: DeadLetter, *, partition: int, offset: int) -> None:
        if (partition, offset) in self._places:
            return
        letter_id, self._next = self._next, self._next + 1
        self._letters[letter_id] = dataclasses.replace(letter, id=letter_id, replayed_at=None)
        self._places[(partition, offset)] = letter_id
        while len(self._letters) > self._max:
            oldest, _ = self._letters.popitem(last=False)
            self._places = {place: i for place, i in self._places.items() if i != oldest}

    async def list(self, *, limit: int = 50, replayed: bool = False) -> list[DeadLetter]:
        letters = [x for x in reversed(self._letters.values()) if replayed or x.replayed_at is None]
        return letters[:limit]

    async def get(self, letter_id: int) -> DeadLetter | None:
        return self._letters.get(letter_id)

    async def claim(self, letter_id: int) -> DeadLetter | None:
        letter = self._letters.get(letter_id)
        if letter is None or letter.replayed_at is not None:
            return None
        self._letters[letter_id] = claimed = dataclasses.replace(letter, replayed_at=utcnow())
        return claimed

    async def unclaim(self, letter_id: int) -> None:
        if (letter := self._letters.get(letter_id)) is not None:
            self._letters[letter_id] = dataclasses.replace(letter, replayed_at=None)
