"""`gxplink dlq`: what could not be processed, and why."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, Format, OutputFormat
from gxplink.settings import Settings
from messaging.dead_letters import DeadLetter, find_dead_letter

app = typer.Typer(help="The dead-letter stream.", no_args_is_help=True)


@app.command("list")
@friendly_errors
def list_(data_dir: Path | None = DataDir, output: OutputFormat = Format,
          limit: int = typer.Option(1000, "--limit", min=1)) -> None:
    """List dead-lettered entries with their reason (works beside a running `gxplink up`)."""
    letters = asyncio.run(_list(Settings().with_data_dir(data_dir), limit))
    if output is OutputFormat.json:
        typer.echo(json.dumps([letter.model_dump(mode="json") for letter in letters], indent=2))
        return
    table = Table("received", "origin", "subject/source", "reason")
    for letter in letters:
        table.add_row(letter.received_at.isoformat(timespec="seconds"), letter.origin,
                      letter.subject or letter.source or "", letter.reason)
    Console().print(table)


@app.command("show")
@friendly_errors
def show(letter_id: str = typer.Argument(..., help="Dead letter id (from `dlq list`)"), data_dir: Path | None = DataDir,
         output: OutputFormat = Format) -> None:
    """Show one dead letter whole: its reason, where it came from and the original payload."""
    letter = find_dead_letter(asyncio.run(_list(Settings().with_data_dir(data_dir), 100_000)), letter_id)
    if output is OutputFormat.json:
        typer.echo(letter.model_dump_json(indent=2))
        return
    for key, value in letter.model_dump(exclude={"payload"}).items():
        typer.echo(f"{key:17} {value}")
    typer.echo("payload:")
    typer.echo(letter.raw().decode(errors="replace").replace("\r", "\n"))


@app.command("replay")
@friendly_errors
def replay(letter_id: str = typer.Argument(..., help="Dead letter id (from `dlq list`)"),
           data_dir: Path | None = DataDir, output: OutputFormat = Format) -> None:
    """Feed a dead letter again to the running adapter (after fixing its mapping or code table)."""
    answer = asyncio.run(_replay(Settings().with_data_dir(data_dir), letter_id))
    if output is OutputFormat.json:
        typer.echo(json.dumps(answer))
    elif answer.get("accepted"):
        typer.echo(f"replayed {letter_id}: {answer.get('events', 0)} event(s) published")
    else:
        typer.echo(f"replayed {letter_id}: refused again: {answer.get('reason')}")
    if not answer.get("accepted"):
        raise typer.Exit(1)


async def _replay(settings: Settings, letter_id: str) -> dict[str, object]:
    from gxplink.runtime import Runtime
    from messaging.dead_letters import list_dead_letters, replay_dead_letter

    async with Runtime(settings, name="gxplink-dlq", own_server=False) as runtime:
        letter = find_dead_letter(await list_dead_letters(runtime.js, 100_000), letter_id)
        return await replay_dead_letter(runtime.nc, runtime.js, letter)


async def _list(settings: Settings, limit: int) -> list[DeadLetter]:
    from gxplink.runtime import Runtime
    from messaging.dead_letters import list_dead_letters

    async with Runtime(settings, name="gxplink-dlq") as runtime:
        return await list_dead_letters(runtime.js, limit)
