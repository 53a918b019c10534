"""``tradewind dlq``: the dead letters the worker keeps (PostgreSQL ``dead_letters``): list them,
show one whole, and replay one or all of them to where they came from, once each."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.dead_letters import AlreadyReplayed, DeadLetter, ReplayDeadLetters

dlq = typer.Typer(help="Dead letters: messages no consumer could handle.", no_args_is_help=True)
T = TypeVar("T")


def _summary(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "source_topic": letter.source_topic,
        "partition": letter.source_partition,
        "offset": letter.source_offset,
        "key": letter.source_key,
        "consumer": letter.consumer,
        "attempts": letter.attempts,
        "error": letter.error,
        "failed_at": letter.failed_at.isoformat(),
        "replayed_at": None if letter.replayed_at is None else letter.replayed_at.isoformat(),
    }


def _whole(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = {"payload": letter.payload.decode("utf-8")}
    except UnicodeDecodeError:
        payload = {"payload_base64": base64.b64encode(letter.payload).decode()}
    return {**_summary(letter), "headers": dict(letter.headers), **payload}


def _run(work: Callable[[Any], Awaitable[T]], *, kafka: bool = False) -> T:
    async def run() -> T:
        adapters: Any = build_adapters(Settings())
        await adapters.lifecycle().start(kafka=kafka)
        try:
            return await work(adapters)
        finally:
            await adapters.lifecycle().stop()

    return asyncio.run(run())


@dlq.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    replayed: Annotated[bool, typer.Option("--all", help="Replayed letters too.")] = False,
) -> None:
    """One JSON line per letter not yet replayed (with --all, every letter kept); exit 1 when any."""

    async def read(adapters: Any) -> list[DeadLetter]:
        letters: list[DeadLetter] = await adapters.dead_letters().list(limit=limit, replayed=replayed)
        return letters

    letters = _run(read)
    for letter in letters:
        typer.echo(json.dumps(_summary(letter)))
    typer.echo(f"{len(letters)} dead letter(s)", err=True)
    raise typer.Exit(1 if letters else 0)


@dlq.command("show")
def dlq_show(letter_id: Annotated[int, typer.Argument(help="The letter's id (from `dlq list`).")]) -> None:
    """The whole letter as JSON: where it came from, why it failed, its headers and payload."""

    async def read(adapters: Any) -> DeadLetter | None:
        letter: DeadLetter | None = await adapters.dead_letters().get(letter_id)
        return letter

    letter = _run(read)
    if letter is None:
        typer.echo(f"no dead letter {letter_id}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(_whole(letter), indent=2))


@dlq.command("replay")
def dlq_replay(
    letter_id: Annotated[int | None, typer.Argument(help="The letter's id; or --all.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every letter not yet replayed, oldest first.")] = False,
) -> None:
    """Republish the original bytes, key and headers to the source topic, and mark the letter
    replayed (a letter is replayed at most once; if it fails again it becomes a new letter)."""
    if (letter_id is None) == (not every):
        typer.echo("give a letter id or --all (not both)", err=True)
        raise typer.Exit(2)

    async def replay(adapters: Any) -> list[DeadLetter]:
        use_case = ReplayDeadLetters(adapters.dead_letters(), adapters.publisher())
        if every:
            return await use_case.all()
        assert letter_id is not None
        return [await use_case.one(letter_id)]

    try:
        done = _run(replay, kafka=True)
    except (LookupError, AlreadyReplayed, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    for letter in done:
        typer.echo(json.dumps({"replayed": letter.id, "to": letter.source_topic, "key": letter.source_key}))
    typer.echo(f"{len(done)} letter(s) replayed", err=True)
