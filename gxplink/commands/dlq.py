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
from messaging.dead_letters import DeadLetter

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
    letter = _find(asyncio.run(_list(Settings().with_data_dir(data_dir), 100_000)), letter_id)
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


def _find(letters: list[DeadLetter], letter_id: str) -> DeadLetter:
    found = [letter for letter in letters if letter.id == letter_id or letter.id.startswith(letter_id)]
    if len(found) != 1:
        raise ValueError(f"{'no' if not found else 'more than one'} dead letter with id {letter_id!r}")
    return found[0]


async def _replay(settings: Settings, letter_id: str) -> dict[str, object]:
    import nats.errors

    from canonical_model.subjects import replay_subject
    from gxplink.runtime import Runtime
    from messaging.dead_letters import list_dead_letters
    from messaging.publisher import Publisher

    async with Runtime(settings, name="gxplink-dlq", own_server=False) as runtime:
        letter = _find(await list_dead_letters(runtime.js, 100_000), letter_id)
        if letter.subject:  # it came over NATS: publish it there again, under a new message id
            ack = await Publisher(runtime.js).publish_bytes(
                letter.subject, letter.raw(), {**letter.headers, "Nats-Msg-Id": f"replay-{letter.id}"})
            return {"accepted": True, "republished": letter.subject, "seq": ack.seq}
        try:
            reply = await runtime.nc.request(replay_subject(letter.origin), letter.raw(), timeout=30,
                                             headers={"origin": letter.source or letter.origin})
        except nats.errors.NoRespondersError:
            raise RuntimeError(f"no running {letter.origin} adapter takes replays (is `gxplink up` running?)") \
                from None
        answer: dict[str, object] = json.loads(reply.data)
        return answer


async def _list(settings: Settings, limit: int) -> list[DeadLetter]:
    from gxplink.runtime import Runtime
    from messaging.dead_letters import list_dead_letters

    async with Runtime(settings, name="gxplink-dlq") as runtime:
        return await list_dead_letters(runtime.js, limit)
