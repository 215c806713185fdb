"""The `gxplink` command: a thin wiring layer that only composes the packages below it."""

from __future__ import annotations

import logging
from importlib.metadata import version

import typer
from rich.logging import RichHandler

from gxplink.commands import (
    audit,
    bench,
    dlq,
    mappings,
    run,
    schema,
    secure,
    sim,
    stack,
    transfer,
    users,
    validate,
    workflows,
)
from gxplink.settings import Settings

app = typer.Typer(
    name="gxplink",
    help="Integration middleware for GxP manufacturing: MES, LIMS, QMS, ERP and DeltaV on one canonical model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("up")(stack.up)
app.command("demo")(stack.demo)
app.command("bench")(bench.bench)
app.add_typer(schema.app, name="schema")
app.add_typer(dlq.app, name="dlq")
app.add_typer(sim.app, name="sim")
app.add_typer(mappings.app, name="mappings")
app.add_typer(run.app, name="run")
app.add_typer(workflows.app, name="workflows")
app.add_typer(audit.app, name="audit")
app.add_typer(secure.app, name="secure")
app.add_typer(users.app, name="users")
app.add_typer(validate.app, name="validate")
app.add_typer(transfer.app, name="transfer")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gxplink {version('gxplink')}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Configure logging once for every command."""
    level = Settings().log_level.upper()
    logging.basicConfig(level=level, format="%(name)s: %(message)s", handlers=[RichHandler(show_path=False)])
    logging.getLogger("asyncio").addFilter(_quiet_tls_close)


def _quiet_tls_close(record: logging.LogRecord) -> bool:
    """asyncio warns on every TLS connection whose peer closes it (nats-py's streams over TLS): not news."""
    return "eof_received() has no effect when using ssl" not in record.getMessage()


def main() -> None:
    app()
