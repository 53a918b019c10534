"""``tradewind contracts``: write (or check) the generated interface documents in ``contracts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

contracts = typer.Typer(help="Generated interface documents (AsyncAPI) kept in contracts/.")


@contracts.command("asyncapi")
def asyncapi(
    output: Annotated[Path, typer.Option(help="Where the document goes.")] = Path("contracts/asyncapi.yaml"),
    check: Annotated[bool, typer.Option("--check", help="Only compare; exit 1 when the file is stale.")] = False,
) -> None:
    """The AsyncAPI 3.0 document of every Kafka topic, from FastStream and the event models."""
    from tradewind.apps.cli.asyncapi import asyncapi_yaml

    document = asyncapi_yaml()
    if check:
        current = output.read_text() if output.exists() else ""
        if current != document:
            typer.echo(f"{output} is stale: run `uv run tradewind contracts asyncapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    typer.echo(f"wrote {output}")
